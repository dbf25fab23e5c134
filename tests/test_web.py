"""The desk's pages and /api over a database the real pipeline filled, served by uvicorn
on loopback: the same JSON as the CLI's --json, every page escaped, the filters work."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from monitor.web.app import safe_href
from monitor.web.desk import open_contradictions, revision_diff
from tests.deskroom import (
    CHARLOTTE,
    EDITOR,
    HOSTILE_UPDATE,
    PDX,
    Newsroom,
    invoke,
    newsroom,
    serve_desk,
)

__all__ = ["newsroom"]  # the session fixture, imported for pytest


@pytest.fixture(scope="module")
def desk(newsroom: Newsroom) -> Iterator[httpx.Client]:
    """A client of the desk served on 127.0.0.1 (no login: loopback)."""
    with (
        serve_desk(newsroom) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as client,
    ):
        yield client


def _cli_json(newsroom: Newsroom, *args: str) -> Any:
    return json.loads(invoke(newsroom.env, *args, "--json"))


class _Links(HTMLParser):
    """Every href and every tag name of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")


def _parsed(html: str) -> _Links:
    links = _Links()
    links.feed(html)
    return links


@pytest.mark.parametrize("incident", [PDX, CHARLOTTE])
def test_api_incident_is_exactly_the_claims_json_of_the_cli(
    desk: httpx.Client, newsroom: Newsroom, incident: str
) -> None:
    """/api/incidents/{id} equals `monitor claims ID --json`, for a tracked and a candidate."""
    reply = desk.get(f"/api/incidents/{incident}")
    assert reply.status_code == 200
    assert reply.json() == _cli_json(newsroom, "claims", incident)


def test_api_alerts_incidents_and_articles_are_the_cli_json(
    desk: httpx.Client, newsroom: Newsroom
) -> None:
    """/api/alerts, /api/incidents and /api/articles equal the CLI's --json outputs."""
    assert desk.get("/api/alerts").json() == _cli_json(newsroom, "alerts")
    assert desk.get("/api/alerts", params={"incident": PDX}).json() == _cli_json(
        newsroom, "alerts", "--incident", PDX
    )
    assert desk.get("/api/incidents").json() == _cli_json(newsroom, "incidents")
    assert desk.get("/api/articles").json() == _cli_json(newsroom, "articles")


def test_the_openapi_document_describes_the_api(desk: httpx.Client) -> None:
    """/api/openapi.json lists the JSON routes and none of the pages."""
    paths = desk.get("/api/openapi.json").json()["paths"]
    assert {"/api/incidents", "/api/incidents/{incident_id}", "/api/alerts"} <= set(paths)
    assert "/" not in paths and "/alerts" not in paths


def test_index_lists_tracked_and_candidate_incidents_with_open_contradictions(
    desk: httpx.Client,
) -> None:
    """`/` shows both kinds, latest coverage in the newsroom's zone, and the disputed count."""
    page = desk.get("/").text
    assert f'href="/incidents/{PDX}"' in page and f'href="/incidents/{CHARLOTTE}"' in page
    assert "candidate" in page and "tracked" in page
    assert "2026-01-12 07:00 PST" in page  # the hostile article's 15:00 UTC, in Los Angeles
    row = page[page.index(f"/incidents/{PDX}") :].split("</tr>")[0]
    assert "shots fired" in row and "3 (PPB" in row and "1 (" in row


def test_incident_page_shows_the_ledger_timeline_and_both_sides_of_an_alert(
    desk: httpx.Client,
) -> None:
    """The ledger's current values, each earlier value with its sentence, and a
    contradiction alert with the earlier and the new claim side by side."""
    page = desk.get(f"/incidents/{PDX}").text
    ledger = page[page.index('id="ledger"') : page.index("</table>", page.index('id="ledger"'))]
    assert "shots fired" in ledger and "wounded" in ledger
    assert "Fearing for his life and safety, an agent fired a defensive shot." in page
    [alert] = [a for a in page.split("</article>") if "contradiction: shots fired" in a]
    earlier, new = alert.split("<h4>new</h4>")
    assert "fired a defensive shot" in earlier and ">1<" in earlier
    assert "The agent fired three shots, police said." in new and ">3<" in new


def test_a_candidate_page_carries_the_promote_stanza(
    desk: httpx.Client, newsroom: Newsroom
) -> None:
    """A candidate incident's page shows what `monitor incidents promote` prints."""
    page = desk.get(f"/incidents/{CHARLOTTE}").text
    stanza = invoke(newsroom.env, "incidents", "promote", CHARLOTTE).strip()
    first_line = stanza.splitlines()[1].strip()
    assert first_line == f"- incident_id: {CHARLOTTE}"
    assert first_line in page and "Track this candidate" in page


def test_article_page_marks_sentences_and_diffs_the_revision(
    desk: httpx.Client, newsroom: Newsroom
) -> None:
    """Each sentence carries its incident and claims; the edit shows as an added line."""
    page = desk.get(f"/articles/{newsroom.hostile_article}").text
    sentence = page.index("The agent fired three shots, police said.")
    marked = page[page.rindex('<span class="sentence', 0, sentence) :].split("</span></span>")[0]
    assert "The agent fired three shots, police said." in marked
    assert PDX in marked and "shots fired" in marked and "PPB" in marked
    api = desk.get(f"/api/articles/{newsroom.hostile_article}").json()
    [revision] = api["revisions"]
    assert ["+", HOSTILE_UPDATE] in revision["diff"]
    assert '<span class="ins">+Update: the FBI is investigating' in page


def test_hostile_text_is_inert_on_every_page(desk: httpx.Client, newsroom: Newsroom) -> None:
    """Markup in titles, text and source labels shows as text: no script, image or
    javascript: link reaches a page, and the pages forbid scripts outright (CSP)."""
    for path in ("/", f"/incidents/{PDX}", f"/articles/{newsroom.hostile_article}", "/alerts"):
        reply = desk.get(path)
        links = _parsed(reply.text)
        assert reply.status_code == 200, path
        assert "script" not in links.tags and "img" not in links.tags, path
        assert not [h for h in links.hrefs if not h.startswith(("/", "#", "http"))], path
        assert "script-src" not in reply.headers["content-security-policy"]
        assert "default-src 'none'" in reply.headers["content-security-policy"]
    article = desk.get(f"/articles/{newsroom.hostile_article}").text
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in article
    assert "&lt;!channel&gt;" in article and "&lt;b onclick=alert(5)&gt;" in article
    assert not re.search(r"<b onclick", article)


def test_links_are_made_only_of_http_urls() -> None:
    """javascript:, data: and file: URLs are never an href; http(s) ones are, password masked."""
    assert safe_href("javascript:alert(1)") is None
    assert safe_href(" JavaScript:alert(1)") is None
    assert safe_href("data:text/html,<script>") is None
    assert safe_href("file:///etc/passwd") is None
    assert safe_href("https://news.example/a") == "https://news.example/a"
    assert "secret" not in (safe_href("https://u:secret@news.example/a") or "")


def test_alerts_page_filters_by_incident_kind_delivery_and_feedback(desk: httpx.Client) -> None:
    """Each filter narrows the list; `feedback=none` keeps alerts no editor judged."""
    every = desk.get("/api/alerts").json()
    contradictions = desk.get("/api/alerts", params={"kind": "contradiction"}).json()
    assert contradictions and {a["kind"] for a in contradictions} == {"contradiction"}
    seeded = desk.get("/api/alerts", params={"delivery": "seeded"}).json()
    assert seeded and all(a["seeded"] for a in seeded) and len(seeded) < len(every)
    [judged] = desk.get("/api/alerts", params={"feedback": "wrong"}).json()
    assert (judged["slot"], judged["feedback"][0]["user_name"]) == ("shots_fired", EDITOR)
    assert desk.get("/api/alerts", params={"feedback": "useful"}).json() == []
    unjudged = desk.get("/api/alerts", params={"feedback": "none"}).json()
    assert len(unjudged) + len(desk.get("/api/alerts", params={"feedback": "any"}).json()) == len(
        every
    )
    page = desk.get(
        "/alerts", params={"incident": PDX, "kind": "contradiction", "delivery": "pending"}
    ).text
    assert page.count('class="alert contradiction"') == 1
    judged_page = desk.get("/alerts", params={"feedback": "wrong"}).text
    assert 'feedback: <span class="feedback">wrong (Anna &lt;i&gt;Desk&lt;/i&gt;)</span>' in (
        judged_page
    )
    assert "<option selected>pdx-2026-01-08</option>" in page


def test_unknown_ids_are_not_found_in_pages_and_api(desk: httpx.Client) -> None:
    """An unknown incident or article is a 404 page (and a 404 in /api), never a 500."""
    assert desk.get("/incidents/nowhere-2026-01-01").status_code == 404
    assert desk.get("/api/incidents/nowhere-2026-01-01").status_code == 404
    assert desk.get("/articles/99999").status_code == 404
    assert desk.get("/api/articles/99999").status_code == 404


def test_a_loopback_desk_without_login_answers_only_to_loopback_names(
    desk: httpx.Client,
) -> None:
    """A page that rebinds its own DNS name to 127.0.0.1 gets nothing (421)."""
    assert desk.get("/", headers={"Host": "evil.example"}).status_code == 421
    assert desk.get("/", headers={"Host": "localhost:1234"}).status_code == 200


def _alert(kind: str, slot: str, before: object, after: object) -> dict[str, Any]:
    def side(value: object, source: str) -> dict[str, Any]:
        return {"value": value, "qualifier": None, "source": source, "speaker": None}

    return {"kind": kind, "slot": slot, "previous": side(before, "a"), "current": side(after, "b")}


def test_an_open_contradiction_is_a_slot_whose_latest_alert_is_a_contradiction() -> None:
    """A contradiction stays open, with both sides, until an update of the slot follows."""
    time_conflict = _alert("contradiction", "time", "14:15", "14:19")
    assert open_contradictions([time_conflict]) == {"time": ["14:15 (a)", "14:19 (b)"]}
    settled = _alert("update", "time", "14:19", "14:20")
    assert open_contradictions([time_conflict, settled]) == {}
    assert open_contradictions([_alert("update", "wounded", 1, 2)]) == {}


def test_a_revision_diff_marks_removed_and_added_lines() -> None:
    """A changed line shows as removed then added, with the hunk header first."""
    diff = revision_diff("one\ntwo\nthree", "one\n2\nthree")
    assert diff[0][0] == "@"
    assert ("-", "two") in diff and ("+", "2") in diff and (" ", "one") in diff
