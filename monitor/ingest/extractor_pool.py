"""Extraction in worker processes.

trafilatura is CPU-bound and runs lxml, C code that a hostile page can drive
into pathological time or memory. Running it in spawned worker processes lets
the main process keep fetching, matching and storing on the other core, and
a worker that dies takes down only the page it was working on.

A worker must not outlive its parent, even one killed with SIGKILL, which gets
no chance to stop it. Each worker holds the read end of a "lifeline" pipe whose
only write end the parent keeps; a daemon thread in the worker reads it, and
the read returns (EOF) only once the parent has closed it or died. That holds
even when the parent dies while the worker is still importing trafilatura: the
EOF waits in the pipe until the thread starts.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection

from monitor.errors import ExtractionError
from monitor.ingest.extract import extract_html
from monitor.model import ExtractedPage

log = logging.getLogger(__name__)


def _exit_with_parent(lifeline: Connection) -> None:
    """Block until the parent's end of the lifeline closes, then end this worker at once."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            lifeline.recv_bytes()  # the parent never sends; this returns only at EOF
    os._exit(0)  # no cleanup: a half-done extraction has no one to report to


def _warm_up(lifeline: Connection) -> None:
    """Runs in each new worker: tie it to its parent, pay trafilatura's start-up costs."""
    threading.Thread(
        target=_exit_with_parent, args=(lifeline,), daemon=True, name="lifeline"
    ).start()
    logging.disable(logging.WARNING)  # trafilatura's complaints about odd pages are not ours
    with contextlib.suppress(ExtractionError):
        extract_html(b"<html><body><p>" + b"warm up " * 20 + b"</p></body></html>", url="x:")


class ExtractorPool:
    """Submits pages to `workers` extraction processes; recovers when a worker dies."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lifeline: tuple[Connection, Connection] | None = None
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs fetch threads, and forking a threaded
        # process can copy a held lock into the child. Spawned children inherit only
        # the read end passed to them, so the parent's write end is the only one.
        context = multiprocessing.get_context("spawn")
        self._lifeline = context.Pipe(duplex=False)
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_warm_up,
            initargs=(self._lifeline[0],),
        )
        pool.submit(int)  # start the workers now, while the caller polls feeds
        return pool

    def _cut_lifeline(self) -> None:
        """Close both ends here: workers of this pool that are still running exit."""
        if self._lifeline is not None:
            for end in self._lifeline:
                end.close()
            self._lifeline = None

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
        self._cut_lifeline()  # a broken pool's survivors must not linger
        self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cut_lifeline()
