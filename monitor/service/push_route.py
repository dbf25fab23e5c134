"""WebSub in the daemon: the `/websub/<token>` route on the health server, and the push
job's parts (see `monitor.pipeline.push`), when MONITOR_PUBLIC_URL is set.

Hubs reach the callbacks at MONITOR_PUBLIC_URL/websub/<token>: the operator's ingress
must forward that path to the health port. Without a public URL (or with the health
server off) nothing subscribes, and every feed is polled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler

from monitor.config import Settings
from monitor.metrics import Metrics
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.push import CallbackRequest, PushReceiver, PushSubscriber, push_parts
from monitor.service.health import Request, Response, RouteHandler

log = logging.getLogger(__name__)

WEBSUB_PREFIX = "/websub/"


def websub_route(receiver: PushReceiver) -> RouteHandler:
    """The health server's handler for WEBSUB_PREFIX: the token is the rest of the path."""

    def handle(request: Request) -> Response:
        token = request.path.removeprefix(WEBSUB_PREFIX)
        answer = receiver.handle(
            CallbackRequest(
                method=request.method,
                token="" if "/" in token else token,
                query=request.query,
                body=request.body,
                signature=request.headers.get("X-Hub-Signature"),
                content_type=request.headers.get("Content-Type"),
            )
        )
        return Response(answer.status, answer.body)

    return handle


def wake_cycle(scheduler: BaseScheduler, run_cycle: Callable[[], None]) -> None:
    """Run a cycle now for pushed entries, beside the ticking `cycle` job (whose run due
    while it still runs would be skipped). The pipeline runs one cycle at a time, so a
    woken cycle waits for a running one; one waiting covers every later wake."""
    scheduler.add_job(
        run_cycle,
        id="pushed-cycle",
        replace_existing=True,  # a woken cycle not yet started covers this wake too
        max_instances=2,  # one running, one waiting for it
        next_run_time=datetime.now(UTC),
    )


@dataclass(frozen=True, slots=True)
class PushService:
    """The push job's step and the routes its callbacks need."""

    subscriber: PushSubscriber
    routes: Mapping[str, RouteHandler]


@contextmanager
def push_service(
    settings: Settings, pipeline: Pipeline, metrics: Metrics, *, wake: Callable[[], None]
) -> Iterator[PushService | None]:
    """The push parts on the pipeline's database (None when push is off), closed after."""
    if not settings.public_url:
        yield None
        return
    if settings.health_port == 0:
        log.warning(
            "MONITOR_PUBLIC_URL is set but MONITOR_HEALTH_PORT=0: hubs would have no callback "
            "to call, so no feed is pushed; set MONITOR_HEALTH_PORT to serve the callbacks"
        )
        yield None
        return
    with push_parts(
        settings,
        pipeline.database,
        metrics,
        owner=pipeline.owner,
        clock=pipeline.clock,
        wake=wake,
    ) as (subscriber, receiver):
        yield PushService(subscriber, {WEBSUB_PREFIX: websub_route(receiver)})
