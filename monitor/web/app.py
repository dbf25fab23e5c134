"""The desk's routes: HTML pages rendered by Jinja2 (autoescaped) and their JSON twins
under /api, behind the login `access.Login` asks for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.model import Verdict
from monitor.redact import redact_url
from monitor.views import editor_value, editor_words, shown_time, side_voice, voice_words, why_line
from monitor.web.access import LOOPBACK_NAMES, REALM, Login, host_name
from monitor.web.desk import AlertFilter, Desk, NotFoundError, verdicts

TEMPLATES = Path(__file__).with_name("templates")
DELIVERY_STATES = ("pending", "delivered", "failed", "seeded", "dropped", "muted")
# No script may run, whatever an article's text holds; styles only from our stylesheet.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
IdText = Annotated[str, PathParam(max_length=200)]
Filter = Annotated[str | None, Query(max_length=200)]


def alert_filter(
    incident: Filter = None, kind: Filter = None, delivery: Filter = None, feedback: Filter = None
) -> AlertFilter:
    """The /alerts query; an empty field (the form's "any") filters nothing."""
    return AlertFilter(incident or None, kind or None, delivery or None, feedback or None)


Wanted = Annotated[AlertFilter, Depends(alert_filter)]


def safe_href(url: object) -> str | None:
    """An http(s) URL a link may point to (its password masked); None for anything else
    (`javascript:`, `data:`, a file path), which is then shown as text."""
    text = str(url or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return redact_url(text) if scheme in ("http", "https") else None


def page_environment(zone: tzinfo) -> Environment:
    """Jinja2 with every value escaped and the newsroom's words and time zone."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )

    def when(moment: datetime | str | None) -> str:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return shown_time(moment, zone) or "-"

    environment.filters.update(
        when=when,
        value=lambda value, qualifier=None: editor_value(value, qualifier),
        words=lambda name: editor_words(str(name)),
        voice=lambda name: voice_words(str(name)),
        side=side_voice,
        href=safe_href,
        verdicts=verdicts,
    )
    environment.globals["why"] = lambda a: why_line(
        a["kind"], a["slot"], a["previous"], a["current"], a["reason"]
    )
    return environment


def create_app(desk: Desk, *, login: Login, zone: tzinfo) -> FastAPI:
    """The desk as an ASGI app: pages, /api, and /api/openapi.json."""
    app = FastAPI(
        title="monitor desk",
        summary="The claim ledger, articles and alerts monitor stored (read-only).",
        docs_url=None,  # Swagger UI needs scripts from a CDN; the document is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    environment = page_environment(zone)

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = environment.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = _refusal(request, login) or await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def missing(exc: NotFoundError) -> HTMLResponse:
        return page("missing.html", status=404, message=str(exc))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return page("incidents.html", incidents=desk.incident_rows())

    @app.get("/incidents/{incident_id}", response_class=HTMLResponse, include_in_schema=False)
    def incident(incident_id: IdText) -> HTMLResponse:
        try:
            return page("incident.html", **desk.incident_page(incident_id))
        except NotFoundError as exc:
            return missing(exc)

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article(article_id: int) -> HTMLResponse:
        try:
            return page("article.html", article=desk.article(article_id))
        except NotFoundError as exc:
            return missing(exc)

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts(wanted: Wanted) -> HTMLResponse:
        every = desk.alerts(AlertFilter())
        return page(
            "alerts.html",
            alerts=desk.alert_records(wanted),
            wanted=wanted,
            incidents=[row["id"] for row in desk.incidents()],
            kinds=sorted({a["kind"] for a in every}),
            delivery_states=DELIVERY_STATES,
            feedback_choices=["any", "none", *(str(v) for v in Verdict)],
        )

    @app.get("/desk.css", include_in_schema=False)
    def stylesheet() -> Response:
        css = (TEMPLATES / "desk.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css")

    _add_api(app, desk)
    return app


def _add_api(app: FastAPI, desk: Desk) -> None:
    """The JSON twins of the pages, in the CLI's `--json` shapes."""

    @app.get("/api/incidents", summary="`monitor incidents --json`")
    def api_incidents() -> list[dict[str, Any]]:
        return desk.incidents()

    @app.get("/api/incidents/{incident_id}", summary="`monitor claims ID --json`")
    def api_incident(incident_id: IdText) -> Any:
        try:
            return desk.claims(incident_id)
        except NotFoundError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.get("/api/articles", summary="`monitor articles --json`")
    def api_articles() -> list[dict[str, Any]]:
        return desk.articles()

    @app.get(
        "/api/articles/{article_id}",
        summary="One article: its listing, text, sentences, claims and revisions",
    )
    def api_article(article_id: int) -> Any:
        try:
            return desk.article(article_id)
        except NotFoundError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.get("/api/alerts", summary="`monitor alerts --json`, filtered")
    def api_alerts(wanted: Wanted) -> list[dict[str, Any]]:
        return desk.alerts(wanted)


def _refusal(request: Request, login: Login) -> Response | None:
    """Why this request gets no page, or None: a missing login (401), or, on a loopback
    desk without one, a Host that is not loopback (a DNS-rebinding page; 421)."""
    if not login.required:
        if host_name(request.headers.get("host", "")) in LOOPBACK_NAMES:
            return None
        return PlainTextResponse(
            "this desk answers only to 127.0.0.1 or localhost", status_code=421
        )
    if login.admits(request.headers):
        return None
    headers = {"WWW-Authenticate": REALM} if login.password else {}
    return PlainTextResponse("login required", status_code=401, headers=headers)
