"""The extraction worker never outlives its parent, even one killed with SIGKILL.

Real processes: `python -m monitor once` (or a small script holding an
`ExtractorPool`) is started, its spawned worker is found in /proc, the parent is
killed with `kill -9`, and the test waits (a condition with a generous bound)
for the worker to be gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, make_rules_dir
from tests.loopback import LoopbackServer, Route
from tests.processes import monitor_env

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finding child processes needs Linux's /proc"
)

# Generous: on a loaded 2-core machine a spawned Python takes seconds to start.
WAIT_S = 120.0

POOL_SCRIPT = """
import sys, time
from monitor.ingest.extractor_pool import ExtractorPool
pool = ExtractorPool(1)
html = b"<html><body><article><p>" + b"An idle worker must still die with us. " * 20 + b"</p>"
pool.result(pool.submit(html + b"</article></body></html>", "http://example.test/a"), "x")
print("warm", flush=True)
time.sleep(600)
"""


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state first, then ppid), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def spawned_workers(parent: int) -> list[int]:
    """The multiprocessing spawn workers whose parent is `parent` (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and int(fields[1]) == parent and "spawn_main" in _cmdline(int(entry.name)):
            found.append(int(entry.name))
    return found


def is_gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie waiting for a reaper counts as exited)."""
    fields = _stat_fields(pid)
    return fields is None or fields[0] in {"Z", "X"}


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout_s:g} s")
        time.sleep(0.05)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; any still running at the end are killed."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _kill_any_left(pids: list[int]) -> None:
    for pid in pids:
        if not is_gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_worker_exits_when_monitor_once_is_killed_while_the_worker_starts(
    loopback: LoopbackServer, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    """kill -9 of `monitor once` as soon as its worker exists (still importing) ends the worker."""
    feed = loopback.route("/feed.xml", Route(body=b"<rss/>", delay_s=600))  # keeps `once` busy
    rules_dir = make_rules_dir(tmp_path, {"hanging": feed})
    env = monitor_env(
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}", workdir=tmp_path, rules_dir=rules_dir
    )
    once = subprocess.Popen(
        [sys.executable, "-m", "monitor", "once", "--all"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started.append(once)
    wait_for(lambda: bool(spawned_workers(once.pid)), "`monitor once` started no worker")
    workers = spawned_workers(once.pid)

    once.send_signal(signal.SIGKILL)
    once.wait(timeout=30)
    try:
        wait_for(lambda: all(is_gone(pid) for pid in workers), "the orphaned worker did not exit")
    finally:
        _kill_any_left(workers)


def test_an_idle_warm_worker_exits_when_its_parent_is_killed(
    started: list[subprocess.Popen[str]],
) -> None:
    """A worker that finished its start-up and waits for pages exits once its parent dies."""
    parent = subprocess.Popen(
        [sys.executable, "-c", POOL_SCRIPT],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started.append(parent)
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "warm"  # blocks until an extraction finished
    workers = spawned_workers(parent.pid)
    assert len(workers) == 1

    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    try:
        wait_for(lambda: all(is_gone(pid) for pid in workers), "the orphaned worker did not exit")
    finally:
        _kill_any_left(workers)
