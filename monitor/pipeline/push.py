"""WebSub push: subscribe each feed that advertises a hub, renew its lease before it runs
out, answer the hub's verifications, and take its signed notifications.

Two parts over one database:

- `PushSubscriber.run` (the daemon's `push` job, under a job lease so one replica asks
  the hubs): looks at each feed for a hub (again daily when it has none), asks the hub
  to subscribe with our callback `MONITOR_PUBLIC_URL/websub/<token>`, a secret and
  MONITOR_WEBSUB_LEASE_S; renews a verified lease when a quarter of it is left; ends a
  lease that ran out, which sends its feed back to polling at once.
- `PushReceiver.handle` (the health server's `/websub/` route, any replica): a GET is a
  verification of intent, confirmed only for a request we made to the same topic; a
  POST is a notification, taken only when X-Hub-Signature is the HMAC of its body under
  the secret we gave that hub. Its body is read as the feed document and its new
  entries queued like a poll's; a body without entries makes the feed due instead.
  Either way the cycle is woken (`wake`), so the articles are processed at once.

Tokens we never handed out get 404. A notification we ignore (unsigned, badly signed)
is still acknowledged with 202, as WebSub §8 allows, so a hub does not retry it forever
and a forger learns nothing; it is counted in monitor_websub_rejected_total{reason}.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from monitor.config import Settings
from monitor.errors import FetchError
from monitor.ingest.feeds import canonical_url, parse_feed
from monitor.ingest.hubs import HubClient
from monitor.ingest.websub import (
    HubLink,
    Verdict,
    Verification,
    decide_verification,
    discover_hub,
    signature_problem,
)
from monitor.metrics import Metrics
from monitor.model import FeedItem
from monitor.store import Database, FeedState, StorageError
from monitor.store.subscriptions import PushState, Subscription

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The job lease one replica holds while it asks hubs.
PUSH_JOB = "websub"
# A feed with no hub (or a denied or failed subscription) is looked at again after this.
LOOK_AGAIN_AFTER = timedelta(days=1)
# A request that failed for a reason that may pass is tried again after this.
RETRY_AFTER = timedelta(hours=1)
# A hub that took a request verifies within seconds; past this we stop waiting.
VERIFY_WITHIN = timedelta(minutes=10)
# A lease is renewed when this share of it is left.
RENEW_WHEN_LEFT = 0.25


def callback_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/websub/{token}"


def renewal_time(now: datetime, lease_seconds: int) -> datetime:
    """When a lease granted now for `lease_seconds` is renewed."""
    return now + timedelta(seconds=lease_seconds * (1 - RENEW_WHEN_LEFT))


@dataclass(frozen=True, slots=True)
class _Look:
    """What a look at a feed found: its hub, none, or why it could not be read."""

    feed: FeedState
    link: HubLink | None = None
    error: str | None = None


class PushSubscriber:
    """The subscribe-and-renew step; network work in a small pool, writes here."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        hubs: HubClient,
        *,
        owner: str,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.database = database
        self.hubs = hubs
        self.owner = owner
        self.clock = clock

    def run(self) -> None:
        """One pass over every active feed: end lapsed leases, look for hubs, subscribe,
        renew. Only the replica holding the job lease asks hubs."""
        now = self.clock()
        if not self.database.acquire_job_lease(
            PUSH_JOB, self.owner, now, lease_s=self.settings.lease_ttl_s
        ):
            return
        try:
            self._pass(now)
        finally:
            self.database.release_job_lease(PUSH_JOB, self.owner)

    def _pass(self, now: datetime) -> None:
        subscriptions = {sub.feed_id: sub for sub in self.database.subscriptions()}
        to_look: list[FeedState] = []
        to_renew: list[Subscription] = []
        for feed in self.database.feeds():
            sub = subscriptions.get(feed.feed_id)
            if sub is not None and not _due(sub, now):
                continue
            step = "look" if sub is None else self._settle(sub, now)
            if step == "look":
                to_look.append(feed)
            elif step == "renew" and sub is not None:
                to_renew.append(sub)
        batch = self.settings.fetch_concurrency
        with ThreadPoolExecutor(batch, "websub") as pool:
            for start in range(0, len(to_look), batch):
                looks = list(pool.map(self._look, to_look[start : start + batch]))
                to_renew.extend(self._record_looks(looks, now))
            for start in range(0, len(to_renew), batch):
                self._subscribe_all(pool, to_renew[start : start + batch])

    def _settle(self, sub: Subscription, now: datetime) -> str:
        """Bring a due subscription up to date; what to do next: "renew" it at the hub we
        know, "look" at its feed afresh, or "wait" for its retry time."""
        if _lapsed(sub, now):
            self.database.end_subscription(
                sub.feed_id,
                now,
                state=PushState.LAPSED,
                reason="the WebSub lease ran out without a renewal; the feed is polled",
                retry_at=now,
            )
            log.warning("websub lease lapsed; polling the feed", extra={"feed_id": sub.feed_id})
            return "look"
        if sub.awaiting_verification:  # asked, and the hub never verified
            self.database.record_request_failed(
                sub.feed_id,
                now,
                f"the hub did not verify the subscription within {VERIFY_WITHIN}",
                retry_at=now + RETRY_AFTER,
            )
            return "wait"
        return "renew" if sub.state == PushState.ACTIVE else "look"

    def _look(self, feed: FeedState) -> _Look:
        try:
            head = self.hubs.feed_head(feed.url)
        except FetchError as exc:
            return _Look(feed, error=str(exc))
        link = discover_hub(head.head, head.link_headers, feed_url=head.final_url)
        return _Look(feed, link=link)

    def _record_looks(self, looks: Sequence[_Look], now: datetime) -> Iterator[Subscription]:
        """Store each look; the subscriptions to ask their hub for."""
        for look in looks:
            retry = now + (RETRY_AFTER if look.error else LOOK_AGAIN_AFTER)
            sub = self.database.record_discovery(
                look.feed.feed_id,
                now,
                hub_url=look.link.hub if look.link else None,
                topic_url=look.link.topic if look.link else None,
                next_action_at=retry,
                error=look.error,
            )
            if look.link is not None:
                yield sub

    def _subscribe_all(self, pool: ThreadPoolExecutor, subs: Sequence[Subscription]) -> None:
        now = self.clock()
        for sub in subs:  # first: a hub may verify before it answers the request
            self.database.mark_requested(sub.feed_id, now)
        for sub, error in zip(subs, pool.map(self._ask_hub, subs), strict=True):
            if error is None:
                self.database.record_request_accepted(sub.feed_id, verify_by=now + VERIFY_WITHIN)
                log.info("websub subscription requested", extra={"feed_id": sub.feed_id})
            else:
                self.database.record_request_failed(
                    sub.feed_id, now, error, retry_at=now + RETRY_AFTER
                )
                log.warning(
                    "websub subscription refused",
                    extra={"feed_id": sub.feed_id, "hub": sub.hub_url, "error": error},
                )

    def _ask_hub(self, sub: Subscription) -> str | None:
        """POST hub.mode=subscribe; None when the hub took it, else why not."""
        form = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic_url or "",
            "hub.callback": callback_url(self.settings, sub.callback_token),
            "hub.secret": sub.secret,
            "hub.lease_seconds": str(self.settings.websub_lease_s),
        }
        try:
            answer = self.hubs.post_form(sub.hub_url or "", form)
        except FetchError as exc:
            return str(exc)
        if answer.accepted:
            return None
        return f"hub: {sub.hub_url} answered HTTP {answer.status}: {answer.text.strip()[:200]}"


def _due(sub: Subscription, now: datetime) -> bool:
    """Whether the push step has something to do for `sub` now."""
    waiting = sub.next_action_at is not None and sub.next_action_at > now
    return not waiting or _lapsed(sub, now)


def _lapsed(sub: Subscription, now: datetime) -> bool:
    return sub.state == PushState.ACTIVE and not sub.is_live(now)


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A hub's request to one of our callbacks."""

    method: str
    token: str
    query: str
    body: bytes = b""
    signature: str | None = None  # X-Hub-Signature
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    status: int
    body: bytes = b""


NOT_FOUND = CallbackAnswer(404, b"no such subscription\n")
ACCEPTED = CallbackAnswer(202)


class PushReceiver:
    """Answers hubs on our callbacks; never raises for what a hub sends."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        metrics: Metrics,
        *,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.metrics = metrics
        self.clock = clock
        self.wake = wake  # the daemon runs the cycle now

    def handle(self, request: CallbackRequest) -> CallbackAnswer:
        sub = self.database.subscription_by_token(request.token) if request.token else None
        if request.method == "GET" and sub is not None:
            return self._verify(sub, request)
        if request.method == "POST":
            if sub is None:
                self.metrics.record_websub_rejected("unknown_callback")
                return NOT_FOUND
            return self._notify(sub, request)
        return NOT_FOUND

    def _verify(self, sub: Subscription, request: CallbackRequest) -> CallbackAnswer:
        query = parse_qs(request.query, keep_blank_values=True, max_num_fields=20)
        verification = Verification.from_query(query)
        decision = decide_verification(
            verification,
            topic=sub.topic_url or "",
            awaiting=sub.awaiting_verification,
            requested_lease_s=self.settings.websub_lease_s,
        )
        now = self.clock()
        if decision.verdict is Verdict.CONFIRM and decision.lease_seconds is not None:
            lease = decision.lease_seconds
            self.database.confirm_subscription(
                sub.feed_id, now, lease_seconds=lease, renew_at=renewal_time(now, lease)
            )
            log.info(
                "websub subscription verified", extra={"feed_id": sub.feed_id, "lease_s": lease}
            )
            return CallbackAnswer(200, verification.challenge.encode())
        if decision.verdict is Verdict.DENIED:
            reason = verification.reason[:200] or "no reason given"
            self.database.end_subscription(
                sub.feed_id,
                now,
                state=PushState.DENIED,
                reason=f"the hub denied the subscription ({reason}); the feed is polled",
                retry_at=now + LOOK_AGAIN_AFTER,
            )
            log.warning("websub subscription denied", extra={"feed_id": sub.feed_id})
            return CallbackAnswer(200)
        return NOT_FOUND

    def _notify(self, sub: Subscription, request: CallbackRequest) -> CallbackAnswer:
        problem = signature_problem(request.signature, request.body, sub.secret)
        if problem is not None:
            self.metrics.record_websub_rejected(problem.value)
            log.warning(
                "websub notification ignored", extra={"feed_id": sub.feed_id, "reason": problem}
            )
            return ACCEPTED
        items = _entries(request.body, sub.topic_url or "", request.content_type)
        now = self.clock()
        try:
            if items:
                queued = self.database.add_feed_items(
                    sub.feed_id,
                    items,
                    now,
                    first_poll_is_baseline=self.settings.first_poll_is_baseline,
                )
                log.info(
                    "websub notification", extra={"feed_id": sub.feed_id, "new_articles": queued}
                )
            self.database.record_notification(sub.feed_id, now, poll_now=not items)
        except StorageError as exc:  # not stored: let the hub send it again
            log.error("websub notification not stored", extra={"error": str(exc)})
            return CallbackAnswer(503, b"try again later\n")
        self.metrics.record_websub_notification("queued" if items else "poll")
        self.wake()
        return ACCEPTED


@contextmanager
def push_parts(
    settings: Settings,
    database: Database,
    metrics: Metrics,
    *,
    owner: str,
    clock: Clock,
    wake: Callable[[], None],
) -> Iterator[tuple[PushSubscriber, PushReceiver]]:
    """The subscribe step and the callbacks' receiver, with a hub client closed after."""
    with HubClient(settings) as hubs:
        yield (
            PushSubscriber(settings, database, hubs, owner=owner, clock=clock),
            PushReceiver(settings, database, metrics, clock=clock, wake=wake),
        )


def _entries(body: bytes, topic: str, content_type: str | None) -> list[FeedItem]:
    """A notification's entries with a usable link; none when the body is not a feed
    (a "thin" ping), and then the feed is polled."""
    try:
        parsed = parse_feed(body, url=topic, content_type=content_type)
    except FetchError:
        return []
    items = []
    for item in parsed.items:
        url = canonical_url(item.url) if item.url else ""
        if url.startswith(("http://", "https://")):
            items.append(FeedItem(item.guid, url, item.title, item.published_at, item.summary))
    return items
