"""WebSub's pure parts: finding a feed's hub, checking a notification's signature, and
deciding what a hub's verification of intent gets."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from monitor.ingest.websub import (
    HubLink,
    Rejection,
    Verdict,
    Verification,
    decide_verification,
    discover_hub,
    sign,
    signature_problem,
)

FEED = "https://news.example/feed.xml"

RSS_WITH_HUB = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Wire</title><link>https://news.example/</link>
<atom:link rel="hub" href="https://hub.example/"/>
<atom:link href="https://news.example/feed.xml?format=rss&amp;v=2" rel="self"
  type="application/rss+xml"/>
<item><title>x</title><link>https://news.example/a</link>
<atom:link rel="hub" href="https://wrong.example/"/></item>
</channel></rss>"""

ATOM_WITH_HUB = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<link rel='self' href='/atom.xml'/><link rel='alternate' href='https://news.example/'/>
<link rel='hub' href='https://pubsubhubbub.example/'/>
<entry><title>x</title></entry></feed>"""


def test_an_rss_feed_names_its_hub_and_topic_with_atom_links() -> None:
    """atom:link rel=hub and rel=self in an RSS channel give the hub and the topic
    (entities decoded), and links inside items are not the feed's."""
    assert discover_hub(RSS_WITH_HUB, [], feed_url=FEED) == HubLink(
        hub="https://hub.example/", topic="https://news.example/feed.xml?format=rss&v=2"
    )


def test_an_atom_feed_names_its_hub_with_relative_self() -> None:
    """An Atom feed's link rel=hub is found, and a relative self link is made absolute."""
    assert discover_hub(ATOM_WITH_HUB, [], feed_url=FEED) == HubLink(
        hub="https://pubsubhubbub.example/", topic="https://news.example/atom.xml"
    )


def test_the_link_header_wins_over_the_document() -> None:
    """An HTTP Link header's hub and self are used before the document's (WebSub §4)."""
    header = '<https://header-hub.example/>; rel="hub", <https://news.example/topic>; rel=self'
    assert discover_hub(RSS_WITH_HUB, [header], feed_url=FEED) == HubLink(
        hub="https://header-hub.example/", topic="https://news.example/topic"
    )


def test_a_hub_without_a_self_link_is_subscribed_under_the_feed_url() -> None:
    """A Link header naming only a hub makes the feed's own URL the topic."""
    found = discover_hub(b"<rss/>", ['<https://hub.example/>; rel="hub"'], feed_url=FEED)
    assert found == HubLink(hub="https://hub.example/", topic=FEED)


@pytest.mark.parametrize(
    "document",
    [
        b"<rss><channel><title>no hub</title></channel></rss>",
        b"<rss><channel><atom:link rel='hub' href='javascript:alert(1)'/></channel></rss>",
        b"<feed><entry><link rel='hub' href='https://late.example/'/></entry></feed>",
        b"\x00\xff garbage",
    ],
)
def test_a_feed_without_a_usable_hub_has_none(document: bytes) -> None:
    """No hub link, a hub that is not http(s), or one only inside an entry: no hub."""
    assert discover_hub(document, [], feed_url=FEED) is None


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_a_body_signed_with_our_secret_passes_with_every_method_websub_allows(
    method: str,
) -> None:
    """X-Hub-Signature with any of sha1, sha256, sha384, sha512 over the body is accepted."""
    body = b"<rss>...</rss>"
    digest = hmac.new(b"s3cret", body, getattr(hashlib, method)).hexdigest()
    assert signature_problem(f"{method}={digest}", body, "s3cret") is None
    assert signature_problem(f"{method.upper()}={digest.upper()}", body, "s3cret") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Rejection.UNSIGNED),
        ("  ", Rejection.UNSIGNED),
        ("md5=abc", Rejection.UNSUPPORTED_METHOD),
        ("sha256", Rejection.UNSUPPORTED_METHOD),
        (sign(b"other body", "s3cret"), Rejection.BAD_SIGNATURE),
        (sign(b"<rss/>", "another secret"), Rejection.BAD_SIGNATURE),
        ("sha256=", Rejection.BAD_SIGNATURE),
    ],
)
def test_an_unsigned_or_wrongly_signed_body_is_refused_with_its_reason(
    header: str | None, expected: Rejection
) -> None:
    """A missing signature, an unknown method, or a digest of another body or secret is
    refused, each with its own reason."""
    assert signature_problem(header, b"<rss/>", "s3cret") is expected


def _verification(**overrides: str) -> Verification:
    values = {"mode": "subscribe", "topic": FEED, "challenge": "c-123", "lease_seconds": "3600"}
    values.update(overrides)
    return Verification(**values)


def test_a_subscribe_we_asked_for_is_confirmed_with_the_hubs_lease() -> None:
    """A subscribe verification for our topic while we await one is confirmed with the
    lease the hub grants (or the one we asked for when it names none)."""
    decide = decide_verification
    assert (
        decide(_verification(), topic=FEED, awaiting=True, requested_lease_s=99).lease_seconds
        == 3600
    )
    unnamed = decide(
        _verification(lease_seconds=""), topic=FEED, awaiting=True, requested_lease_s=99
    )
    assert (unnamed.verdict, unnamed.lease_seconds) == (Verdict.CONFIRM, 99)


@pytest.mark.parametrize(
    ("verification", "awaiting"),
    [
        (_verification(), False),  # we did not ask
        (_verification(topic="https://other.example/feed"), True),
        (_verification(mode="unsubscribe"), True),  # we never ask to unsubscribe
        (_verification(challenge=""), True),
        (_verification(challenge="x" * 5000), True),
        (_verification(lease_seconds="-5"), True),
        (_verification(lease_seconds="soon"), True),
        (_verification(mode="denied", topic="https://other.example/feed"), True),
    ],
)
def test_a_verification_we_did_not_ask_for_is_refused(
    verification: Verification, awaiting: bool
) -> None:
    """Anything but a well-formed subscribe for our topic while we await it is refused."""
    decision = decide_verification(verification, topic=FEED, awaiting=awaiting, requested_lease_s=9)
    assert decision.verdict is Verdict.REFUSE


def test_a_denial_of_our_topic_ends_the_subscription() -> None:
    """hub.mode=denied for our topic is taken, awaited or not."""
    denied = _verification(mode="denied", challenge="")
    assert decide_verification(denied, topic=FEED, awaiting=False, requested_lease_s=9).verdict is (
        Verdict.DENIED
    )
