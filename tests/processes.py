"""Environments for `python -m monitor` child processes in tests and benchmarks."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Proxy variables, in both spellings: a proxy set on the developer's machine must not
# carry a test's loopback requests away.
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def is_developer_setting(name: str) -> bool:
    """Whether an environment variable is one of monitor's settings, a Slack secret or a
    proxy setting, which tests and their child processes never inherit."""
    secrets = ("MONITOR_", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    return name.startswith(secrets) or name.lower() in _PROXY_VARIABLES


def monitor_env(
    *, database_url: str, workdir: Path, rules_dir: Path, **settings: str
) -> dict[str, str]:
    """This process's environment without any MONITOR_* or Slack setting of the developer's,
    plus a replica's basics (database, data and rules folders, loopback allowed, 1 s ticks)
    and `settings`, given as MONITOR_* names."""
    env = {key: value for key, value in os.environ.items() if not is_developer_setting(key)}
    env.update(
        {
            "MONITOR_DATABASE_URL": database_url,
            "MONITOR_DATA_DIR": str(workdir / "data"),
            "MONITOR_RULES_DIR": str(rules_dir),
            "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
            "MONITOR_TICK_S": "1",
            "MONITOR_HEALTH_PORT": "0",
            **settings,
        }
    )
    return env


def http_get(port: int, path: str) -> tuple[int, str]:
    """(status, body) of a GET to a child's endpoint on loopback; an HTTP error is an answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
