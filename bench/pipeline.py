"""Benchmark: one full cycle (fetch, extract, store) against bare trafilatura.extract.

The corpus pages (../shared/corpus/pages) are served by a loopback HTTP server
behind one RSS feed. The baseline extracts the same pages, already in memory,
with the same trafilatura options the pipeline uses; the ratio (pipeline time
/ baseline time) is our own overhead beside the extraction itself. Target: at
most 1.25. The last line printed is a JSON object with "ratio".

    .venv/bin/python -m bench.pipeline [--pages N]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from monitor.analysis.engine import load_rule_set
from monitor.config import Settings
from monitor.ingest.fetch import Fetcher
from monitor.model import FeedSpec
from monitor.pipeline.cycle import Pipeline
from monitor.store import Database
from tests.loopback import Route, serve

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_PAGES = REPO_ROOT.parent / "shared" / "corpus" / "pages"
RULES_DIR = REPO_ROOT / "rules"


def load_pages(limit: int | None) -> list[Path]:
    pages = sorted(p for p in CORPUS_PAGES.glob("*.html") if not p.name.endswith(".expected.html"))
    return pages[:limit] if limit else pages


def bare_extraction_s(bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        trafilatura.extract(
            body,
            url=f"http://bench.invalid/{n}",
            with_metadata=True,
            include_comments=False,
            include_tables=False,
        )
    return time.perf_counter() - started


def pipeline_cycle_s(pages: list[Path]) -> tuple[float, int]:
    with serve() as server, tempfile.TemporaryDirectory() as data_dir:
        items = []
        for path in pages:
            url = server.route(f"/pages/{path.name}", Route(body=path.read_bytes()))
            items.append(f"<item><title>{path.stem}</title><link>{url}</link></item>")
        feed = f"<rss version='2.0'><channel><title>bench</title>{''.join(items)}</channel></rss>"
        feed_url = server.route("/feed.xml", Route(body=feed.encode()))
        settings = Settings(data_dir=Path(data_dir), allow_private_networks=True)
        database = Database.open(settings.resolved_database_url)
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, load_rule_set(RULES_DIR)) as pipeline,
        ):
            pipeline.extractors.submit(b"", "x:").exception()  # the daemon's workers are warm
            started = time.perf_counter()
            report = pipeline.run_cycle([FeedSpec("bench", feed_url)])
            elapsed = time.perf_counter() - started
        database.close()
        return elapsed, report.articles_extracted + report.duplicates + len(report.article_errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="use only the first N pages")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura complains about odd pages; not our business
    pages = load_pages(args.pages)
    if not pages:
        sys.exit(f"no pages found in {CORPUS_PAGES}")
    bodies = [p.read_bytes() for p in pages]
    bare_extraction_s(bodies[:5])  # warm-up: imports, caches

    bare_s = bare_extraction_s(bodies)
    pipeline_s, handled = pipeline_cycle_s(pages)
    ratio = pipeline_s / bare_s
    print(f"pages: {len(pages)} (pipeline handled {handled})")
    print(f"bare trafilatura.extract: {bare_s:.2f} s, {len(pages) / bare_s:.1f} pages/s")
    print(
        f"pipeline cycle (fetch, extract, store): {pipeline_s:.2f} s, "
        f"{len(pages) / pipeline_s:.1f} pages/s"
    )
    print(
        json.dumps(
            {
                "ratio": round(ratio, 3),
                "pages": len(pages),
                "bare_s": round(bare_s, 3),
                "pipeline_s": round(pipeline_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
