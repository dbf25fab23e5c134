"""`monitor once`, `feeds`, `articles` and `ingest` end to end against loopback servers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import Settings
from monitor.pipeline.cycle import open_pipeline
from tests.conftest import make_rules_dir
from tests.documents import article_html, rss_feed
from tests.loopback import LoopbackServer, Route

runner = CliRunner()


def _write_feeds(rules_dir: Path, feeds: dict[str, str]) -> None:
    make_rules_dir(rules_dir.parent, feeds)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    if not (tmp_path / "rules").exists():
        make_rules_dir(tmp_path, {})
    env = {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "MONITOR_CONNECT_TIMEOUT_S": "2",
        "MONITOR_READ_TIMEOUT_S": "2",
        "MONITOR_TOTAL_TIMEOUT_S": "5",
    }
    env.update(extra)
    return env


def _serve_site(loopback: LoopbackServer, count: int) -> str:
    for n in range(count):
        loopback.route(f"/articles/{n}.html", Route(body=article_html(n)))
    return loopback.route(
        "/feed.xml",
        Route(
            body=rss_feed(loopback.base_url, count),
            content_type="application/rss+xml",
            etag='"feed-v1"',
            last_modified="Sat, 10 Jan 2026 09:00:00 GMT",
        ),
    )


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_once_stores_fifty_articles_then_a_304_downloads_nothing(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """First cycle stores every entry with text; the second gets 304 and fetches no page."""
    feed_url = _serve_site(loopback, 50)
    _write_feeds(tmp_path / "rules", {"ledger": feed_url})
    env = _env(tmp_path, MONITOR_ALLOWED_HOSTS=f"127.0.0.1:{loopback.port}")

    code, _, err = _invoke(env, "once")
    assert code == 0, err
    code, out, _ = _invoke(env, "articles", "--json")
    stored = json.loads(out)
    assert len(stored) == 50
    assert {a["status"] for a in stored} == {"extracted"}
    assert all(a["revision"] == 1 and a["title"] and a["source"] for a in stored)
    requests_after_first = loopback.hits()

    code, _, err = _invoke(env, "once", "--all")
    assert code == 0, err
    assert loopback.hits() == requests_after_first + 1  # the feed only, answered 304
    assert loopback.requests[-1].path == "/feed.xml"
    [feed] = json.loads(_invoke(env, "feeds", "--json")[1])
    assert feed["status"] == 304
    assert len(json.loads(_invoke(env, "articles", "--json")[1])) == 50


def _statuses(env: dict[str, str]) -> dict[str, tuple[str, str | None, str | None]]:
    """URL path -> (status, error, retry_at) from `monitor articles --json`."""
    listed = json.loads(_invoke(env, "articles", "--json")[1])
    return {a["url"].split("/", 3)[3]: (a["status"], a["error"], a["retry_at"]) for a in listed}


def _cycle_at(env: dict[str, str], now: datetime) -> None:
    """One cycle over every feed, as `monitor once --all` runs it, with the clock at `now`
    (the retry schedule counts from the failure, so the test sets the time, not a sleep)."""
    settings = Settings(**{k.removeprefix("MONITOR_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]  # pydantic parses the strings
    with open_pipeline(settings, clock=lambda: now) as pipeline:
        pipeline.run_cycle(pipeline.rule_set.rules.feeds, ignore_due=True)


def _retry_at(env: dict[str, str], path: str) -> datetime:
    retry_at = _statuses(env)[path][2]
    assert retry_at is not None
    return datetime.fromisoformat(retry_at)


def test_a_page_that_fails_for_a_passing_reason_is_retried_and_not_lost(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """A 503 leaves the article pending with the error and its retry time; a cycle before
    that time does not fetch it; the cycle at it stores it."""
    feed_url = _serve_site(loopback, 2)
    loopback.route("/articles/1.html", Route(status=503, body=b"busy"))
    _write_feeds(tmp_path / "rules", {"ledger": feed_url})
    env = _env(
        tmp_path,
        MONITOR_ALLOWED_HOSTS=f"127.0.0.1:{loopback.port}",
        MONITOR_PAGE_RETRY_SCHEDULE="10m,1h",
    )

    code, _, err = _invoke(env, "once")
    assert code == 0, err
    assert "(0 failed, 1 to retry, 0 duplicates)" in err
    status, error, _ = _statuses(env)["articles/1.html"]
    assert status == "pending"
    assert error is not None and "HTTP 503" in error and "retry 1 of 2" in error
    due = _retry_at(env, "articles/1.html")

    loopback.route("/articles/1.html", Route(body=article_html(1)))
    _cycle_at(env, due - timedelta(seconds=1))  # too early: the page is not asked for
    assert loopback.hits("/articles/1.html") == 1
    _cycle_at(env, due)
    assert _statuses(env)["articles/1.html"] == ("extracted", None, None)
    assert loopback.hits("/articles/1.html") == 2


def test_a_page_is_fetch_failed_after_its_last_retry_or_at_once_when_the_failure_is_permanent(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """A page answering 500 every time gives up after the schedule's retries; a 404 is
    fetch_failed on its first try."""
    feed_url = _serve_site(loopback, 2)
    loopback.route("/articles/0.html", Route(status=500, body=b"oops"))
    loopback.route("/articles/1.html", Route(status=404, body=b"gone"))
    _write_feeds(tmp_path / "rules", {"ledger": feed_url})
    env = _env(
        tmp_path,
        MONITOR_ALLOWED_HOSTS=f"127.0.0.1:{loopback.port}",
        MONITOR_PAGE_RETRY_SCHEDULE="10m",
    )

    _invoke(env, "once")
    assert _statuses(env)["articles/1.html"][0] == "fetch_failed"
    assert _statuses(env)["articles/0.html"][0] == "pending"
    _cycle_at(env, _retry_at(env, "articles/0.html"))
    status, error, retry_at = _statuses(env)["articles/0.html"]
    assert (status, retry_at) == ("fetch_failed", None)
    assert error is not None and "HTTP 500 (gave up after 2 tries)" in error
    assert loopback.hits("/articles/0.html") == 2
    assert loopback.hits("/articles/1.html") == 1


def test_bad_page_retry_schedule_is_a_configuration_error(tmp_path: Path) -> None:
    """A schedule that is not a list of delays names the bad item and an example."""
    code, _, err = _invoke(_env(tmp_path, MONITOR_PAGE_RETRY_SCHEDULE="2m,soon"), "once")
    assert code != 0
    assert "'soon'" in err and "2m,10m,1h" in err


def test_once_without_all_skips_feeds_not_yet_due(loopback: LoopbackServer, tmp_path: Path) -> None:
    """A feed polled a moment ago is not polled again until its interval has passed."""
    feed_url = _serve_site(loopback, 2)
    _write_feeds(tmp_path / "rules", {"ledger": feed_url})
    env = _env(tmp_path, MONITOR_ALLOW_PRIVATE_NETWORKS="1")
    assert _invoke(env, "once")[0] == 0
    hits = loopback.hits()
    assert _invoke(env, "once")[0] == 0
    assert loopback.hits() == hits


def test_loopback_feed_is_refused_by_default_with_the_fix_in_the_message(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Without an allowance, a 127.0.0.1 feed is never requested; the error says how to allow it."""
    feed_url = _serve_site(loopback, 3)
    _write_feeds(tmp_path / "rules", {"ledger": feed_url})
    code, _, err = _invoke(_env(tmp_path), "once")
    assert code == 0
    assert "127.0.0.1" in err and "MONITOR_ALLOWED_HOSTS" in err
    assert loopback.hits() == 0
    [feed] = json.loads(_invoke(_env(tmp_path), "feeds", "--json")[1])
    assert feed["consecutive_errors"] == 1 and "loopback" in feed["last_error"]


def test_invalid_feeds_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A broken feeds.yaml stops `monitor once` with exit code 2 and names the file."""
    make_rules_dir(tmp_path, {})
    (tmp_path / "rules" / "feeds.yaml").write_text("feeds:\n  - name: x\n", encoding="utf-8")
    code, _, err = _invoke(_env(tmp_path), "once")
    assert code == 2
    assert "feeds.yaml" in err


def test_bad_setting_is_a_configuration_error(tmp_path: Path) -> None:
    """A malformed environment variable exits 2 and names the variable."""
    _write_feeds(tmp_path / "rules", {})
    code, _, err = _invoke(_env(tmp_path, MONITOR_FETCH_CONCURRENCY="lots"), "once")
    assert code == 2
    assert "FETCH_CONCURRENCY" in err


def test_ingest_of_a_text_file_uses_the_first_line_as_headline(tmp_path: Path) -> None:
    """`monitor ingest story.txt` stores the article with its label and publication time."""
    story = tmp_path / "story.txt"
    story.write_text(
        "Agents clash with protesters downtown\n"
        "Demonstrators gathered outside the federal building on Friday evening, "
        "and officers used pepper spray after the crowd blocked a van, witnesses said.\n",
        encoding="utf-8",
    )
    env = _env(tmp_path)
    args = ["ingest", str(story), "--published", "2026-01-16T20:00:00Z", "--source", "desk"]
    code, _, err = _invoke(env, *args)
    assert code == 0, err
    [article] = json.loads(_invoke(env, "articles", "--json")[1])
    assert article["title"] == "Agents clash with protesters downtown"
    assert article["source"] == "desk"
    assert article["published"] == "2026-01-16T20:00:00Z"
    assert _invoke(env, *args)[0] == 0  # idempotent
    assert len(json.loads(_invoke(env, "articles", "--json")[1])) == 1


def test_ingest_of_a_url_fetches_and_extracts_the_page(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """`monitor ingest URL` runs the page through the same fetch and extraction as feeds."""
    url = loopback.route("/story.html", Route(body=article_html(7)))
    env = _env(tmp_path, MONITOR_ALLOW_PRIVATE_NETWORKS="1")
    code, _, err = _invoke(env, "ingest", url)
    assert code == 0, err
    [article] = json.loads(_invoke(env, "articles", "--json")[1])
    assert article["source"] == "Loopback Ledger"
    assert article["url"] == url


def test_ingest_of_a_broken_page_fails_with_the_reason(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """A page that is not HTML makes `monitor ingest` exit 1 and say why."""
    url = loopback.route("/file.pdf", Route(body=b"%PDF-1.4", content_type="application/pdf"))
    code, _, err = _invoke(_env(tmp_path, MONITOR_ALLOW_PRIVATE_NETWORKS="1"), "ingest", url)
    assert code == 1
    assert "not an HTML page" in err


def test_articles_since_filters_on_publication_time(tmp_path: Path) -> None:
    """--since keeps only articles published at or after the given date."""
    env = _env(tmp_path)
    for day in (8, 15):
        story = tmp_path / f"story{day}.txt"
        story.write_text(f"Headline {day}\nBody text for day {day} of the month.\n", "utf-8")
        _invoke(env, "ingest", str(story), "--published", f"2026-01-{day}T12:00:00Z")
    out = _invoke(env, "articles", "--json", "--since", "2026-01-10")[1]
    assert [a["title"] for a in json.loads(out)] == ["Headline 15"]
    code, _, err = _invoke(env, "articles", "--since", "last tuesday")
    assert code == 2 and "ISO-8601" in err


@pytest.mark.parametrize(
    "command",
    [
        "once",
        "run",
        "feeds",
        "articles",
        "ingest",
        "seed",
        "explain",
        "incidents",
        "replay",
        "claims",
        "alerts",
        "rules",
    ],
)
def test_every_command_has_help(command: str) -> None:
    """`monitor COMMAND --help` describes the command and exits 0."""
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout
