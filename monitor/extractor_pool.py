"""Extraction in worker processes.

trafilatura is CPU-bound and runs lxml, C code that a hostile page can drive
into pathological time or memory. Running it in spawned worker processes lets
the main process keep fetching, matching and storing on the other core, and
a worker that dies takes down only the page it was working on.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor.errors import ExtractionError
from monitor.extract import extract_html
from monitor.model import ExtractedPage

log = logging.getLogger(__name__)


def _exit_with_parent(parent_pid: int) -> None:
    # A parent killed with SIGKILL cannot stop its workers; they notice here.
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _warm_up() -> None:
    """Runs in each new worker: tie it to its parent, pay trafilatura's start-up costs."""
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    logging.disable(logging.WARNING)  # trafilatura's complaints about odd pages are not ours
    with contextlib.suppress(ExtractionError):
        extract_html(b"<html><body><p>" + b"warm up " * 20 + b"</p></body></html>", url="x:")


class ExtractorPool:
    """Submits pages to `workers` extraction processes; recovers when a worker dies."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs fetch threads, and forking a threaded
        # process can copy a held lock into the child.
        pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
        )
        pool.submit(int)  # start the workers now, while the caller polls feeds
        return pool

    def submit(self, body: bytes, url: str) -> Future[ExtractedPage]:
        try:
            return self._pool.submit(extract_html, body, url=url)
        except BrokenProcessPool:
            self.restart()
            return self._pool.submit(extract_html, body, url=url)

    @staticmethod
    def result(future: Future[ExtractedPage], url: str) -> ExtractedPage:
        """The page, or ExtractionError also when the worker died on it."""
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise ExtractionError(
                f"extract: {url}: the extraction worker died on this page ({exc})"
            ) from exc

    def restart(self) -> None:
        log.warning("extraction worker died; starting a new one")
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
