"""Take the README's picture of the desk: an incident page in headless Chromium.

Fills a throwaway database with the real pipeline (the seeds, then the test newsroom's
articles: tests/deskroom.py), serves the desk on loopback, and saves the Portland
incident page to docs/incident-page.png. Run from the repository root:

    .venv/bin/python docs/screenshot.py

Needs Debian's chromium and chromium-driver (as the browser tests do).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "docs" / "incident-page.png"
WIDTH, HEIGHT = 1280, 1500


def main() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.deskroom import PDX, fill_newsroom, serve_desk
    from tests.test_web_browser import start_chromium

    work = Path(tempfile.mkdtemp(prefix="desk-screenshot-"))
    try:
        newsroom = fill_newsroom(work)
        with serve_desk(newsroom) as server:
            browser = start_chromium(work / "profile")
            try:
                browser.set_window_size(WIDTH, HEIGHT)
                browser.get(f"http://127.0.0.1:{server.port}/incidents/{PDX}")
                browser.save_screenshot(str(OUTPUT))
            finally:
                browser.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
