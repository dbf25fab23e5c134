"""WebSub (W3C Recommendation, 2018) as values: where a feed's hub is, whether a
notification is signed by the secret we gave its hub, and what to answer a hub's
verification of intent.

Pure: no HTTP, no clock, no database. The network side is `ingest.hubs` (requests to
hubs), the stored side `store.subscriptions`, and `pipeline.push` composes them.

Discovery (WebSub §4): the hub and the topic (`rel="self"`) come from the HTTP `Link`
header first, then from `<link rel="hub">` elements of the document (`atom:link` in RSS,
`link` in Atom). Only the document's head is read (up to its first item or entry), with
a regular expression over tags, never an XML parser: it holds no entity to expand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from html import unescape
from urllib.parse import urljoin, urlsplit

# The head of a feed (channel or feed metadata) is small; a hub link after this many
# bytes is not looked for, so a multi-megabyte document costs no more than this.
HEAD_BYTES = 256 * 1024
# What X-Hub-Signature may name (WebSub §8): the hub picks one, we check it.
SIGNATURE_METHODS: dict[str, str] = {
    "sha1": "sha1",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}
# Longest URL kept from a document or header: a hub or topic longer is not one we use.
MAX_URL_CHARS = 2048
# A challenge we echo is the hub's; a longer one is refused rather than reflected.
MAX_CHALLENGE_CHARS = 1024

_LINK_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?link\b([^>]{0,4096})>", re.IGNORECASE)
_BODY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\b", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HEADER_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_HEADER_PARAM = re.compile(r""";\s*([A-Za-z*-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))""")


@dataclass(frozen=True, slots=True)
class HubLink:
    """Where to subscribe for a feed: its hub, and the topic URL to name there."""

    hub: str
    topic: str


def discover_hub(body: bytes, link_headers: Iterable[str], *, feed_url: str) -> HubLink | None:
    """The hub and topic a feed advertises, or None when it advertises no usable hub.

    The Link header wins over the document (WebSub §4); a feed that names a hub but no
    `self` is subscribed under its own URL. Relative URLs are resolved against
    `feed_url`; only http(s) URLs count.
    """
    header_links = [link for value in link_headers for link in _header_links(value)]
    document_links = _document_links(body[:HEAD_BYTES])
    hubs = _rel_urls(header_links, "hub", feed_url) + _rel_urls(document_links, "hub", feed_url)
    if not hubs:
        return None
    selves = _rel_urls(header_links, "self", feed_url) + _rel_urls(document_links, "self", feed_url)
    return HubLink(hub=hubs[0], topic=selves[0] if selves else feed_url)


def _rel_urls(links: Iterable[tuple[str, str]], rel: str, base: str) -> list[str]:
    """The absolute http(s) URLs of links whose rel list holds `rel`, in order."""
    found = []
    for href, rels in links:
        if rel not in rels.lower().split():
            continue
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme in ("http", "https") and len(url) <= MAX_URL_CHARS:
            found.append(url)
    return found


def _header_links(value: str) -> list[tuple[str, str]]:
    """(href, rel) of each link in one `Link` header value (RFC 8288)."""
    links = []
    for match in _HEADER_LINK.finditer(value):
        params = {
            name.lower(): quoted if quoted is not None and quoted != "" else bare
            for name, quoted, bare in _HEADER_PARAM.findall(match.group(2))
        }
        links.append((match.group(1), params.get("rel", "")))
    return links


def _document_links(head: bytes) -> list[tuple[str, str]]:
    """(href, rel) of each `<link>` element before the document's first item or entry."""
    body_start = _BODY_START.search(head)
    if body_start is not None:
        head = head[: body_start.start()]
    links = []
    for tag in _LINK_TAG.finditer(head):
        attributes = {
            name.lower().split(b":")[-1]: double if double else single
            for name, double, single in _ATTRIBUTE.findall(tag.group(1))
        }
        href, rel = attributes.get(b"href"), attributes.get(b"rel")
        if href and rel:
            links.append((_text(href), _text(rel)))
    return links


def _text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", errors="replace"))


class Rejection(StrEnum):
    """Why a notification was ignored (the `reason` label of the rejected counter)."""

    UNSIGNED = "unsigned"
    UNSUPPORTED_METHOD = "unsupported_method"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_CALLBACK = "unknown_callback"


def signature_problem(header: str | None, body: bytes, secret: str) -> Rejection | None:
    """Why `body` is not signed by `secret` as the X-Hub-Signature header claims, or None
    when it is. The digests are compared in constant time."""
    if header is None or not header.strip():
        return Rejection.UNSIGNED
    method, separator, given = header.strip().partition("=")
    algorithm = SIGNATURE_METHODS.get(method.strip().lower())
    if not separator or algorithm is None:
        return Rejection.UNSUPPORTED_METHOD
    expected = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    if not hmac.compare_digest(expected, given.strip().lower()):
        return Rejection.BAD_SIGNATURE
    return None


def sign(body: bytes, secret: str, method: str = "sha256") -> str:
    """The X-Hub-Signature value a hub sends for `body` (tests and tools play the hub)."""
    algorithm = SIGNATURE_METHODS[method]
    return f"{method}={hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()}"


class Verdict(StrEnum):
    """What a verification request from a hub gets."""

    CONFIRM = "confirm"  # 200 with the challenge: we asked for this subscription
    DENIED = "denied"  # the hub refused our subscription: back to polling
    REFUSE = "refuse"  # 404: we did not ask for this


@dataclass(frozen=True, slots=True)
class Verification:
    """A hub's GET on a callback, as its query parameters say it."""

    mode: str
    topic: str
    challenge: str = ""
    lease_seconds: str = ""
    reason: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, list[str]]) -> Verification:
        def first(name: str) -> str:
            values = query.get(name) or [""]
            return values[0]

        return cls(
            mode=first("hub.mode"),
            topic=first("hub.topic"),
            challenge=first("hub.challenge"),
            lease_seconds=first("hub.lease_seconds"),
            reason=first("hub.reason"),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    lease_seconds: int | None = None  # the lease the hub granted (CONFIRM)


def decide_verification(
    request: Verification, *, topic: str, awaiting: bool, requested_lease_s: int
) -> Decision:
    """Our answer to a verification of intent (WebSub §5.3) for a subscription to
    `topic`; `awaiting`: we have asked its hub to (re)subscribe and not yet been
    answered. We confirm only a subscribe we asked for, to the same topic, and never
    ask to unsubscribe; a denial of our topic ends the subscription."""
    if request.topic != topic:
        return Decision(Verdict.REFUSE)
    if request.mode == "denied":
        return Decision(Verdict.DENIED)
    if request.mode != "subscribe" or not awaiting:
        return Decision(Verdict.REFUSE)
    if not request.challenge or len(request.challenge) > MAX_CHALLENGE_CHARS:
        return Decision(Verdict.REFUSE)
    lease = request.lease_seconds.strip()
    if not lease:  # required of the hub; without it, assume what we asked for
        return Decision(Verdict.CONFIRM, requested_lease_s)
    if not lease.isdigit() or int(lease) <= 0:
        return Decision(Verdict.REFUSE)
    return Decision(Verdict.CONFIRM, int(lease))
