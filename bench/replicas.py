"""Benchmark: `monitor run` replicas sharing one PostgreSQL; throughput, duplicates, takeover.

The corpus pages (../shared/corpus/pages) are served by a loopback HTTP server
behind one RSS feed, and real `python -m monitor run` processes work on them:

    one       one replica on a fresh database: seconds until no article is pending
    two       two replicas on another fresh database: the same, plus duplicates
              (a page fetched twice at the loopback server, or an article
              extracted twice: revision > 1), which must be 0
    takeover  replica A starts, is SIGKILLed while it holds leases on pending
              articles, replica B starts: seconds from the kill until B has
              finished every article A had leased (target: at most 60 with
              the default MONITOR_LEASE_TTL_S)

One and two replicas are run twice: pinned to one core each (with its
extraction worker), which is the shipped deployment's shape (deploy/kubernetes
gives a replica one CPU) and gives "ratio"; and free to share every core,
which gives "shared_ratio". Unpinned, one replica already spreads over both
cores of a 2-core machine, so a second one has less to add there.

Throughput is timed from the moment the feed's entries are queued until none is
pending: process start-up (imports, the extraction worker, migrations), the
same for one or two replicas, is reported but not counted.

Target: two replicas at least 1.6 times as fast as one on a 2-core machine.
The last line printed is a JSON object with "ratio", "duplicates", "takeover_s"
(and "shared_ratio" and the pages per second behind both ratios).

    .venv/bin/python -m bench.replicas [--pages N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from tests.conftest import REPO_ROOT, make_rules_dir
from tests.loopback import LoopbackServer, Route, serve
from tests.pgserver import PgServer, find_pg_bindir
from tests.processes import monitor_env

CORPUS_PAGES = REPO_ROOT.parent / "shared" / "corpus" / "pages"
FINISH_TIMEOUT_S = 120.0
POLL_S = 0.05


def load_pages(limit: int | None) -> list[Path]:
    pages = sorted(p for p in CORPUS_PAGES.glob("*.html") if not p.name.endswith(".expected.html"))
    return pages[:limit] if limit else pages


@dataclass
class Replica:
    """One `monitor run` process in its own process group (so its extractor dies with it)."""

    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL the whole group: the daemon and its extraction worker."""
        with suppress(ProcessLookupError):  # the group may already be gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


def group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by every live process in a process group (Linux /proc)."""
    total_ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields[2] is pgrp; utime, stime are fields[11], [12]
            total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / os.sysconf("SC_CLK_TCK")


def extracted_by(log_path: Path) -> int:
    """Articles a replica extracted, from its "cycle finished" log lines."""
    count = 0
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "cycle finished":
                count += int(event.get("articles_extracted", 0))
    return count


def wait_for_cycle_logs(logs: Sequence[Path], extracted: int) -> None:
    """Give the replicas a moment to log the cycle that finished the work (the per-replica
    counts come from those lines); the timing is already taken."""
    deadline = time.monotonic() + 10
    while sum(extracted_by(log) for log in logs) < extracted and time.monotonic() < deadline:
        time.sleep(POLL_S)


@dataclass
class Site:
    """The loopback server with the corpus pages and one feed listing them all."""

    server: LoopbackServer
    feed_url: str
    page_paths: list[str]

    def extra_fetches(self) -> int:
        """Page requests beyond the first per page: each one is work done twice."""
        return sum(max(0, self.server.hits(path) - 1) for path in self.page_paths)


@contextmanager
def corpus_site(pages: Sequence[Path]) -> Iterator[Site]:
    with serve() as server:
        items, paths = [], []
        for page in pages:
            path = f"/pages/{page.name}"
            url = server.route(path, Route(body=page.read_bytes()))
            items.append(f"<item><title>{page.stem}</title><link>{url}</link></item>")
            paths.append(path)
        feed = f"<rss version='2.0'><channel><title>bench</title>{''.join(items)}</channel></rss>"
        feed_url = server.route(
            "/feed.xml", Route(body=feed.encode(), content_type="application/rss+xml")
        )
        yield Site(server, feed_url, paths)


class Fleet:
    """Starts replicas against one database and kills every one of them on exit."""

    def __init__(self, workdir: Path, database_url: str, rules_dir: Path) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.rules_dir = rules_dir
        self.replicas: list[Replica] = []

    def start(self, name: str, *, core: int | None = None) -> Replica:
        """Start a replica; with `core`, it and its extraction worker run on that CPU only."""
        env = monitor_env(
            database_url=self.database_url, workdir=self.workdir, rules_dir=self.rules_dir
        )
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            cwd=self.workdir,  # no stray .env file is read
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            # Set before exec, so the worker the replica spawns inherits it.
            preexec_fn=None if core is None else lambda: os.sched_setaffinity(0, {core}),
        )
        replica = Replica(name, process, log)
        self.replicas.append(replica)
        return replica

    def kill_all(self) -> None:
        for replica in self.replicas:
            replica.kill()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill_all()


# -- database probes --------------------------------------------------------------


def article_progress(engine: sa.Engine) -> tuple[int, int]:
    """(articles, articles still pending); (0, 0) before the schema exists."""
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM article")
            ).one()
    except sa.exc.SQLAlchemyError:
        return 0, 0
    return int(row[0]), int(row[1])


def wait_until_queued(engine: sa.Engine, expected: int, replicas: Sequence[Replica]) -> None:
    """Block until the feed has been polled: `expected` article rows exist."""
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    while article_progress(engine)[0] < expected:
        if time.monotonic() > deadline or any(r.process.poll() is not None for r in replicas):
            raise RuntimeError("the feed was not polled; see the replica logs")
        time.sleep(POLL_S / 5)


def wait_until_finished(engine: sa.Engine, expected: int, replicas: Sequence[Replica]) -> None:
    """Block until `expected` articles exist and none is pending."""
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    while time.monotonic() < deadline:
        total, pending = article_progress(engine)
        if total >= expected and pending == 0:
            return
        for replica in replicas:
            if replica.process.poll() is not None:
                raise RuntimeError(
                    f"replica {replica.name} exited with {replica.process.returncode}"
                )
        time.sleep(POLL_S)
    total, pending = article_progress(engine)
    raise RuntimeError(
        f"not finished within {FINISH_TIMEOUT_S:.0f} s: {total}/{expected} articles, "
        f"{pending} pending"
    )


def reextracted(engine: sa.Engine) -> int:
    """Articles extracted more than once."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM article WHERE revision > 1")
            ).scalar_one()
        )


def status_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT status, count(*) FROM article GROUP BY status"))
        return {str(status): int(count) for status, count in rows}


def lease_filter(engine: sa.Engine) -> str | None:
    """SQL condition for "this article row is leased", from the columns storage.py created."""
    columns = {column["name"] for column in sa.inspect(engine).get_columns("article")}
    owners = sorted(c for c in columns if "lease" in c and ("owner" in c or "holder" in c))
    if owners:
        return f"{owners[0]} IS NOT NULL"
    expiries = sorted(c for c in columns if "lease" in c and ("expir" in c or "until" in c))
    if expiries:
        return f"{expiries[0]} > now()"
    return None


def leased_pending(engine: sa.Engine, condition: str) -> set[int]:
    query = f"SELECT id FROM article WHERE status = 'pending' AND {condition}"
    with engine.connect() as connection:
        return {int(row[0]) for row in connection.execute(sa.text(query))}


def still_pending(engine: sa.Engine, article_ids: set[int]) -> int:
    if not article_ids:
        return 0
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id FROM article WHERE status = 'pending' AND id = ANY(:ids)"),
            {"ids": sorted(article_ids)},
        )
        return len(rows.all())


# -- phases -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    replicas: int
    elapsed_s: float
    extra_fetches: int
    reextracted: int
    statuses: dict[str, int]
    cpu_s: list[float]
    extracted_by: list[int]
    startup_s: float


def replica_cores(replica_count: int, *, pinned: bool) -> list[int | None]:
    """The CPU each replica is pinned to (None: free to use every core)."""
    if not pinned:
        return [None] * replica_count
    cores = sorted(os.sched_getaffinity(0))
    return [cores[n % len(cores)] for n in range(replica_count)]


def timed_run(
    pg: PgServer, pages: Sequence[Path], workdir: Path, replica_count: int, *, pinned: bool
) -> Run:
    """Start `replica_count` replicas on a fresh database; time until no article is pending."""
    url = pg.create_database()
    engine = sa.create_engine(url)
    run_dir = workdir / f"replicas-{replica_count}-{'pinned' if pinned else 'shared'}"
    run_dir.mkdir()
    try:
        with (
            corpus_site(pages) as site,
            Fleet(run_dir, url, make_rules_dir(run_dir, {"corpus": site.feed_url})) as fleet,
        ):
            launched = time.monotonic()
            replicas = [
                fleet.start(f"replica-{n}", core=core)
                for n, core in enumerate(replica_cores(replica_count, pinned=pinned))
            ]
            # Throughput is measured from the moment the feed's entries are queued (one
            # transaction), so process start-up, the same for one or two replicas, is
            # left out; it is reported separately.
            wait_until_queued(engine, len(pages), replicas)
            started = time.monotonic()
            cpu_before = [group_cpu_s(replica.process.pid) for replica in replicas]
            wait_until_finished(engine, len(pages), replicas)
            elapsed = time.monotonic() - started
            cpu_s = [
                round(group_cpu_s(replica.process.pid) - before, 1)
                for replica, before in zip(replicas, cpu_before, strict=True)
            ]
            statuses = status_counts(engine)
            logs = [run_dir / f"{replica.name}.log" for replica in replicas]
            wait_for_cycle_logs(logs, statuses.get("extracted", 0))
            fleet.kill_all()
            return Run(
                replica_count,
                elapsed,
                site.extra_fetches(),
                reextracted(engine),
                statuses,
                cpu_s,
                [extracted_by(log) for log in logs],
                started - launched,
            )
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class Scaling:
    """One replica against two, in one placement (pinned to a core each, or sharing)."""

    one: Run
    two: Run

    @property
    def ratio(self) -> float:
        return self.one.elapsed_s / self.two.elapsed_s


def scaling_run(pg: PgServer, pages: Sequence[Path], workdir: Path, *, pinned: bool) -> Scaling:
    placement = "one core per replica" if pinned else "replicas sharing every core"
    runs = []
    for count in (1, 2):
        run = timed_run(pg, pages, workdir, count, pinned=pinned)
        print(
            f"{placement}: {count} replica(s): {run.elapsed_s:.1f} s, "
            f"{len(pages) / run.elapsed_s:.1f} pages/s, cpu s {run.cpu_s}, "
            f"extracted {run.extracted_by} (after {run.startup_s:.1f} s of start-up "
            "and feed poll)"
        )
        runs.append(run)
    return Scaling(*runs)


@dataclass(frozen=True, slots=True)
class Takeover:
    leased: int
    takeover_s: float | None
    note: str


def takeover_run(pg: PgServer, pages: Sequence[Path], workdir: Path) -> Takeover:
    """Kill replica A while it holds leases; time until replica B finished A's leased work."""
    url = pg.create_database()
    engine = sa.create_engine(url)
    run_dir = workdir / "takeover"
    run_dir.mkdir()
    try:
        with (
            corpus_site(pages) as site,
            Fleet(run_dir, url, make_rules_dir(run_dir, {"corpus": site.feed_url})) as fleet,
        ):
            replica_a = fleet.start("replica-a")
            condition: str | None = None
            leased: set[int] = set()
            deadline = time.monotonic() + FINISH_TIMEOUT_S
            while time.monotonic() < deadline and not leased:
                time.sleep(0.05)
                if article_progress(engine)[0] == 0:
                    continue
                condition = condition or lease_filter(engine)
                if condition is None:
                    fleet.kill_all()
                    return Takeover(0, None, "no lease column on the article table yet")
                leased = leased_pending(engine, condition)
            replica_a.kill()
            killed_at = time.monotonic()
            assert condition is not None
            leased = leased_pending(engine, condition) or leased
            if not leased:
                return Takeover(0, None, "replica A never held a lease on a pending article")
            replica_b = fleet.start("replica-b")
            while still_pending(engine, leased):
                if time.monotonic() - killed_at > FINISH_TIMEOUT_S:
                    return Takeover(len(leased), None, "replica B never finished A's leases")
                if replica_b.process.poll() is not None:
                    return Takeover(len(leased), None, "replica B exited")
                time.sleep(POLL_S)
            return Takeover(len(leased), time.monotonic() - killed_at, f"lease: {condition}")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="use only the first N pages")
    args = parser.parse_args()
    pages = load_pages(args.pages)
    if not pages:
        sys.exit(f"no pages found in {CORPUS_PAGES}")
    bindir = find_pg_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries (initdb, pg_ctl) not found; apt-get install postgresql")
    pg = PgServer(bindir)
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        try:
            pg.init()
            pg.start()
            # The shipped deployment gives each replica one CPU (deploy/kubernetes:
            # limits.cpu 1), so the ratio pins each replica to a core. Unpinned, one
            # replica already spreads over both cores (its extraction worker runs beside
            # it), which leaves a second replica little to add on this machine.
            pinned = scaling_run(pg, pages, Path(tmp), pinned=True)
            shared = scaling_run(pg, pages, Path(tmp), pinned=False)
            print(
                f"ratio, one core per replica: {pinned.ratio:.2f}; "
                f"sharing every core: {shared.ratio:.2f}"
            )
            two = pinned.two
            print(f"statuses (two replicas): {two.statuses}")
            duplicates = sum(r.extra_fetches + r.reextracted for r in (pinned.two, shared.two))
            print(
                f"duplicates: {two.extra_fetches + shared.two.extra_fetches} extra page fetches, "
                f"{two.reextracted + shared.two.reextracted} articles extracted twice"
            )
            takeover = takeover_run(pg, pages, Path(tmp))
            shown = f"{takeover.takeover_s:.1f} s" if takeover.takeover_s is not None else "n/a"
            print(
                f"takeover: {takeover.leased} leased articles finished in {shown} ({takeover.note})"
            )
        finally:
            pg.destroy()
    print(
        json.dumps(
            {
                "ratio": round(pinned.ratio, 3),
                "duplicates": duplicates,
                "takeover_s": round(takeover.takeover_s, 1) if takeover.takeover_s else None,
                "pages": len(pages),
                "one_pages_per_s": round(len(pages) / pinned.one.elapsed_s, 2),
                "two_pages_per_s": round(len(pages) / pinned.two.elapsed_s, 2),
                "shared_ratio": round(shared.ratio, 3),
                "shared_one_pages_per_s": round(len(pages) / shared.one.elapsed_s, 2),
                "shared_two_pages_per_s": round(len(pages) / shared.two.elapsed_s, 2),
                "extra_fetches": two.extra_fetches + shared.two.extra_fetches,
                "reextracted": two.reextracted + shared.two.reextracted,
                "takeover_leased": takeover.leased,
            }
        )
    )


if __name__ == "__main__":
    main()
