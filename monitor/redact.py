"""URLs as monitor shows them: credentials masked, length bounded.

Feed and article URLs come from editors and third parties. A feed URL may carry
a password (`https://user:secret@host/feed`) and a link in a hostile feed may be
tens of kilobytes long. Every message, log line and stored error shows URLs
through `shown_url` (one URL) or `redact_text` (any text that may quote URLs),
so neither a secret nor a 20 KB link ends up in `last_error` or the logs.
"""

from __future__ import annotations

import re
from typing import Final

MAX_SHOWN_URL_CHARS: Final = 200
MASK: Final = "***"

# scheme://userinfo@ — the userinfo is whatever precedes the last "@" of the authority.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s]*@)")
# A URL inside free text: a scheme, "://", then anything up to whitespace, a quote or
# the ellipsis of a URL already shortened (so redacting twice changes nothing).
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>…]+")
# A scheme-less database URL such as user:secret@host/db.
_BARE_USERINFO = re.compile(r"^(?P<user>[^:/@\s]*):(?P<password>[^@/\s]*)@")


def redact_url(url: str) -> str:
    """`url` with the password of its userinfo replaced by ***.

    `https://user:secret@host/x` -> `https://user:***@host/x`; a userinfo without
    a password is often a token (`https://TOKEN@host/x`), so it is masked whole.
    A scheme-less `user:secret@host/db` is masked the same way.
    """
    masked = _USERINFO.sub(_mask_userinfo, url, count=1)
    if masked == url and "://" not in url:
        masked = _BARE_USERINFO.sub(lambda m: f"{m.group('user')}:{MASK}@", url, count=1)
    return masked


def without_credentials(url: str) -> str:
    """`url` with its userinfo removed: for links shown to people (Slack), which must stay
    usable (a *** in them would not be) and must not carry the password."""
    return _USERINFO.sub(lambda found: found.group("scheme"), url, count=1)


def _mask_userinfo(found: re.Match[str]) -> str:
    userinfo = found.group("userinfo")[:-1]
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:{MASK}" if has_password else MASK
    return f"{found.group('scheme')}{shown}@"


def shorten_url(url: str, limit: int = MAX_SHOWN_URL_CHARS) -> str:
    """`url` itself when short enough, else its first `limit` characters, an ellipsis and
    the full length, so a hostile 20 KB link cannot flood a message."""
    if len(url) <= limit:
        return url
    return f"{url[:limit]}…({len(url):,} chars)"


def shown_url(url: str) -> str:
    """A URL as every message and log shows it: credentials masked, length bounded."""
    return shorten_url(redact_url(url))


def redact_text(text: str) -> str:
    """`text` with every URL in it shown as `shown_url` shows it (errors from libraries and
    other stages quote URLs whole)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda found: shown_url(found.group(0)), text)
