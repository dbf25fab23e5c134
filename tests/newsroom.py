"""A loopback news site about the tracked incidents, for first-deploy tests: follow-up
articles written for these tests (not seed text), served as HTML pages with an RSS feed
that lists what has been published so far.

Each article states one fact the seeds do not (checked with `monitor explain` against the
seeded ledger), so on an empty ledger without a baseline every one of them would post:

- BACKLOG: three follow-ups the feed already holds when it is added; each raises one alert
  (an investigation, a shot count, a contradicted officer injury), which must be baseline.
- NEW_ARTICLE: published after the first poll; its one new fact (the age of the man shot
  in Minneapolis on 2026-01-14) is the one alert that must post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from tests.loopback import LoopbackServer, Route


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    published_at: datetime
    headline: str
    paragraphs: tuple[str, ...]


BACKLOG = (
    Article(
        "portland-wounded-still-in-hospital",
        datetime(2026, 1, 12, 15, 0, tzinfo=UTC),
        "Portland pair wounded by Border Patrol agent remain in hospital",
        (
            "PORTLAND, Ore. — The two people shot by a Border Patrol agent in Portland on "
            "January 8 were still in the hospital on Monday, a family member said.",
            "The FBI is investigating the shooting, the bureau's Portland office confirmed.",
            "City leaders again asked federal agents to leave Portland.",
        ),
    ),
    Article(
        "vigil-for-renee-good",
        datetime(2026, 1, 12, 18, 0, tzinfo=UTC),
        "Hundreds gather to remember Renee Good in Minneapolis",
        (
            "Hundreds of people gathered in south Minneapolis on Sunday to remember Renee "
            "Good, the woman killed by ICE officer Jonathan Ross on January 7.",
            "A witness told the crowd that Ross fired three shots into her car as she tried "
            "to drive away.",
            "Her family has hired a lawyer and asked the state to bring charges against the "
            "officer.",
        ),
    ),
    Article(
        "north-minneapolis-officers-not-hurt",
        datetime(2026, 1, 16, 15, 0, tzinfo=UTC),
        "Minneapolis shooting: officers at the scene were not hurt, police say",
        (
            "MINNEAPOLIS — No officers were injured during the January 14 confrontation in "
            "north Minneapolis in which an ICE officer shot a man in the leg, Minneapolis "
            "police said on Friday.",
        ),
    ),
)

NEW_ARTICLE = Article(
    "lawyer-for-wounded-man-speaks",
    datetime(2026, 1, 20, 15, 0, tzinfo=UTC),
    "Lawyer for man shot by ICE officer in Minneapolis speaks out",
    (
        "The man shot in the leg by an Immigration and Customs Enforcement officer in north "
        "Minneapolis on January 14 is a 24-year-old father of two, his lawyer said on Tuesday.",
        "The lawyer said his client would ask a judge to review the federal account of the "
        "shooting.",
    ),
)

# What NEW_ARTICLE alone says that the baseline and the backlog do not.
NEW_FACT = ("mpls-2026-01-14", "victim_age", 24)


def article_page(article: Article) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(article.headline)}</title>"
        "<meta property='og:site_name' content='Loopback Tribune'></head>"
        "<body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{escape(article.headline)}</h1>{body}</article>"
        "<footer>Loopback Tribune</footer></body></html>"
    ).encode()


class NewsSite:
    """Articles as pages on a loopback server, and /feed.xml listing the published ones."""

    def __init__(self, server: LoopbackServer, articles: tuple[Article, ...] = BACKLOG) -> None:
        self.server = server
        self.published: list[Article] = []
        self.feed_url = server.route("/feed.xml", Route(body=b""))
        for article in articles:
            self.publish(article)

    def url(self, article: Article) -> str:
        return f"{self.server.base_url}/news/{article.slug}.html"

    def publish(self, article: Article) -> str:
        """Serve the article's page and list it first in the feed; its URL."""
        url = self.server.route(f"/news/{article.slug}.html", Route(body=article_page(article)))
        self.published.insert(0, article)
        self.server.route("/feed.xml", Route(body=self._feed(), content_type="application/xml"))
        return url

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(a.headline)}</title><link>{escape(self.url(a))}</link>"
            f"<guid>urn:loopback-tribune:{a.slug}</guid>"
            f"<pubDate>{format_datetime(a.published_at)}</pubDate></item>"
            for a in self.published
        )
        return (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            "<title>Loopback Tribune</title><link>http://example.invalid/</link>"
            f"<description>Follow-ups</description>{items}</channel></rss>"
        ).encode()
