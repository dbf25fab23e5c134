"""One real `monitor once` process against hostile feeds beside a good one."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_rules_dir
from tests.documents import article_html, rss_feed
from tests.loopback import LoopbackServer, Route, gzip_bomb

# The cycle takes about 15 s (the timeouts below); a loaded machine may take several times
# that. Still far below what any hostile server would hold a fetch for.
NO_HANG_S = 300.0

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://example.invalid/x</link></item>
</channel></rss>"""


def hostile_routes(loopback: LoopbackServer) -> dict[str, tuple[str, str]]:
    """Feed name -> (URL, a word the recorded error must contain)."""
    xml = "application/rss+xml"
    private_hop = f"http://127.0.0.2:{loopback.port}/feed.xml"
    routes = {
        "hang": (Route(delay_s=600), "timed out"),  # far beyond any bound here
        "drip": (Route(body=b"<rss>" * 200, drip_s=1.0), "timed out"),
        "huge": (Route(big_body_mb=50, content_type=xml), "exceeds"),
        "gzip-bomb": (
            Route(
                body=gzip_bomb(200),
                raw=True,
                content_type=xml,
                headers={"Content-Encoding": "gzip"},
            ),
            "exceeds",
        ),
        "laughs": (Route(body=BILLION_LAUGHS, content_type=xml), "entit"),
        "loop": (Route(redirect_to="/loop.xml"), "redirect"),
        "to-metadata": (
            Route(redirect_to="http://169.254.169.254/latest/meta-data/"),
            "169.254.169.254",
        ),
        "to-loopback": (Route(redirect_to=private_hop), "127.0.0.2"),
        "garbage": (
            Route(body=random.Random(7).randbytes(20_000), content_type=xml),
            "not a feed",
        ),
        "server-error": (Route(status=500, body=b"oops"), "500"),
    }
    path_of = {"loop": "/loop.xml"}
    return {
        name: (loopback.route(path_of.get(name, f"/{name}.xml"), route), word)
        for name, (route, word) in routes.items()
    }


@pytest.mark.slow
def test_hostile_feeds_fail_alone_within_time_and_memory(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Each hostile feed gets a named error, the good one is stored; under 600 MB, and in
    far less time than any hostile server would hold it (the hang is 600 s, the drip 1000 s)."""
    for n in range(5):
        loopback.route(f"/articles/{n}.html", Route(body=article_html(n)))
    good = loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 5)))
    hostile = hostile_routes(loopback)
    feeds = {"good": good} | {name: url for name, (url, _) in hostile.items()}
    rules = make_rules_dir(tmp_path, feeds)
    env = {
        **os.environ,
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(rules),
        "MONITOR_ALLOWED_HOSTS": f"127.0.0.1:{loopback.port}",
        "MONITOR_CONNECT_TIMEOUT_S": "2",
        "MONITOR_READ_TIMEOUT_S": "3",
        "MONITOR_TOTAL_TIMEOUT_S": "8",
    }
    started = time.monotonic()
    once = subprocess.run(
        [sys.executable, "-m", "monitor", "once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * NO_HANG_S,  # then the assertion below says how long it took
    )
    elapsed = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    assert once.returncode == 0, once.stderr
    assert elapsed < NO_HANG_S
    assert peak_mb < 600
    listing = subprocess.run(
        [sys.executable, "-m", "monitor", "feeds", "--json"], env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    states = {feed["name"]: feed for feed in json.loads(listing.stdout)}
    assert states["good"]["last_error"] is None
    assert states["good"]["entries"] == 5
    for name, (_, word) in hostile.items():
        error = states[name]["last_error"] or ""
        assert word.lower() in error.lower(), f"{name}: {error!r}"
        assert f"feed {name}:" in once.stderr
    articles = subprocess.run(
        [sys.executable, "-m", "monitor", "articles", "--json"], env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert [a["status"] for a in json.loads(articles.stdout)] == ["extracted"] * 5
