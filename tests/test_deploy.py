"""The deployment files run: `monitor run` started as a real process with the environment
the Kubernetes manifests give a pod, and Compose's wiring of POSTGRES_PASSWORD.

The pod's environment is read from the manifests (tests/manifests.py), not copied here.
Only what must point at this machine is replaced: the database URL (a temporary SQLite
file or the test PostgreSQL), the Slack API (a fake Slack on loopback), the data, rules
and seeds folders (temporary paths for the image's /data, /app/rules, /app/seeds) and
the health address (loopback, a free port).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from monitor.config import load_settings
from tests.conftest import make_rules_dir
from tests.fakeslack import FakeSlack, serve_fake_slack
from tests.manifests import (
    KUBERNETES_DIR,
    REPO_ROOT,
    MissingVariableError,
    applied_objects,
    compose_services,
    find_object,
    kustomization_objects,
    monitor_container,
    pod_environment,
)
from tests.pgserver import PgServer
from tests.processes import http_get

# What the loopback replacements stand in for.
LOOPBACK_SETTINGS = frozenset(
    {
        "MONITOR_DATABASE_URL",
        "MONITOR_SLACK_BASE_URL",
        "MONITOR_DATA_DIR",
        "MONITOR_RULES_DIR",
        "MONITOR_SEEDS_DIR",
        "MONITOR_HEALTH_HOST",
        "MONITOR_HEALTH_PORT",
    }
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _secret_value(objects: list[dict[str, Any]], key: str) -> str:
    return str(find_object(objects, "Secret")["stringData"][key])


def _on_loopback(
    pod_env: dict[str, str], tmp_path: Path, *, database_url: str, slack: FakeSlack, port: int
) -> dict[str, str]:
    """The pod's environment with only the loopback replacements, plus what Python needs
    to run on this machine (PATH, and nothing else of the test's own environment)."""
    assert pod_env["MONITOR_DATA_DIR"] == "/data" and pod_env["MONITOR_RULES_DIR"] == "/app/rules"
    assert "MONITOR_DATABASE_URL" in pod_env, "the manifests must give a database URL"
    replaced = {
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_SLACK_BASE_URL": slack.base_url,
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(make_rules_dir(tmp_path, {})),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
        "MONITOR_HEALTH_HOST": "127.0.0.1",
        "MONITOR_HEALTH_PORT": str(port),
    }
    assert set(replaced) == LOOPBACK_SETTINGS
    return {"PATH": os.environ["PATH"], **pod_env, **replaced}


@dataclass
class Pod:
    """`monitor run` started as the Deployment's container would start it."""

    process: subprocess.Popen[str]
    port: int
    log_path: Path

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.port, path)

    def wait_for(self, path: str, status: int, timeout_s: float = 60.0) -> dict[str, Any]:
        """The JSON body of `path` once it answers `status` (a condition wait)."""
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"monitor exited:\n{self.log()}"
            try:
                code, body = self.get(path)
                last = (code, body)
                if code == status:
                    answer: dict[str, Any] = json.loads(body)
                    return answer
            except (urllib.error.URLError, ConnectionError) as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"{path} did not answer {status} within {timeout_s} s: {last}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log().splitlines() if line.startswith("{")]


def start_pod(env: dict[str, str], tmp_path: Path, port: int) -> Pod:
    """The container's args, run with this interpreter (the image's `monitor` script)."""
    args = monitor_container(applied_objects())["args"]
    assert args[0] == "monitor"
    log_path = tmp_path / "pod.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args[1:]],
            env=env,
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return Pod(process, port, log_path)


@pytest.fixture
def pods() -> Iterator[list[Pod]]:
    """Pods started by a test; killed at the end if still running."""
    started: list[Pod] = []
    yield started
    for pod in started:
        if pod.process.poll() is None:
            pod.process.kill()
            pod.process.wait(10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def manifest_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The loopback stand-in for the Secret's MONITOR_DATABASE_URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pod.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.mark.slow
def test_the_daemon_starts_with_the_environment_the_kubernetes_manifests_give(
    tmp_path: Path, manifest_database: str, pods: list[Pod]
) -> None:
    """With the manifests' env (token, channel, probes' port) the daemon starts and answers
    /livez, /readyz and /healthz, logs where it stores and posts, and stops on SIGTERM."""
    objects = applied_objects()
    token = _secret_value(objects, "SLACK_BOT_TOKEN")
    port = _free_port()
    with serve_fake_slack(expected_token=token) as slack:
        env = _on_loopback(
            pod_environment(objects),
            tmp_path,
            database_url=manifest_database,
            slack=slack,
            port=port,
        )
        pod = start_pod(env, tmp_path, port)
        pods.append(pod)

        assert pod.wait_for("/livez", 200)["status"] == "ok"
        ready = pod.wait_for("/readyz", 200)
        assert ready["database"] is True
        health = pod.wait_for("/healthz", 200)
        assert health["status"] in {"ok", "degraded"}

        [started] = [event for event in pod.events() if event["event"] == "daemon started"]
        channel = find_object(objects, "ConfigMap", "monitor-settings")["data"]
        assert started["slack"] == f"channel {channel['MONITOR_SLACK_CHANNEL']}"
        assert started["data_dir"] == env["MONITOR_DATA_DIR"]
        assert started["rules_dir"] == env["MONITOR_RULES_DIR"]
        # Host, port and database as given (the logs mask a bare user name like a token).
        where = sa.make_url(manifest_database).render_as_string().rpartition("@")[2]
        assert started["database"].endswith(where)
        assert token not in pod.log()

        pod.process.send_signal(signal.SIGTERM)
        assert pod.process.wait(timeout=30) == 0


def test_the_manifests_declare_as_many_replicas_as_the_deployment_runs() -> None:
    """MONITOR_REPLICAS in the pod's env equals the Deployment's spec.replicas."""
    objects = applied_objects()
    replicas = find_object(objects, "Deployment")["spec"]["replicas"]
    assert pod_environment(objects)["MONITOR_REPLICAS"] == str(replicas)


def test_the_cpu_request_is_one_cpu_per_replica() -> None:
    """The container requests (and is limited to) one CPU, as the README's figures assume."""
    resources = monitor_container(applied_objects())["resources"]
    assert str(resources["requests"]["cpu"]) == str(resources["limits"]["cpu"]) == "1"


def test_the_pod_gets_a_slack_channel_with_its_token_and_may_use_a_webhook_instead() -> None:
    """The bot token comes with MONITOR_SLACK_CHANNEL; the webhook is an optional Secret key."""
    objects = applied_objects()
    env = pod_environment(objects)
    assert env["SLACK_BOT_TOKEN"] and env["MONITOR_SLACK_CHANNEL"]
    assert "MONITOR_SLACK_WEBHOOK_URL" not in env  # commented out in the template
    by_name = {item["name"]: item for item in monitor_container(objects)["env"]}
    for name in ("SLACK_BOT_TOKEN", "MONITOR_SLACK_WEBHOOK_URL"):
        assert by_name[name]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "optional" not in by_name["MONITOR_DATABASE_URL"]["valueFrom"]["secretKeyRef"]


@pytest.mark.slow
def test_more_than_one_replica_on_sqlite_stops_the_start_with_the_fix(
    tmp_path: Path, pods: list[Pod]
) -> None:
    """The manifests scaled to 2 without PostgreSQL: exit 2 and one line naming the fix."""
    objects = applied_objects()
    deployment = find_object(objects, "Deployment")
    deployment["spec"]["replicas"] = 2
    for item in monitor_container(objects)["env"]:
        if item["name"] == "MONITOR_REPLICAS":
            item["value"] = "2"
    port = _free_port()
    with serve_fake_slack(expected_token=None) as slack:
        env = _on_loopback(
            pod_environment(objects),
            tmp_path,
            database_url=f"sqlite:///{tmp_path / 'pod.db'}",
            slack=slack,
            port=port,
        )
        pod = start_pod(env, tmp_path, port)
        pods.append(pod)
        assert pod.process.wait(timeout=60) == 2
    [line] = pod.log().splitlines()
    assert line.startswith("error: invalid settings: MONITOR_REPLICAS=2 needs PostgreSQL")
    assert "MONITOR_DATABASE_URL=postgresql://" in line


def test_kubectl_kustomize_renders_the_objects_the_tests_read() -> None:
    """`kubectl kustomize deploy/kubernetes` gives the same kinds and names as this reader."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in yaml.safe_load_all(rendered)}
    assert names == {(o["kind"], o["metadata"]["name"]) for o in kustomization_objects()}


# -- Compose ---------------------------------------------------------------------------


def test_compose_gives_postgres_and_monitor_the_same_password() -> None:
    """One POSTGRES_PASSWORD, even with @, / and # in it, is the server's password and the
    one in monitor's database URL, as monitor parses it."""
    password = "s3cr@t/pa#ss:word"
    services = compose_services({"POSTGRES_PASSWORD": password})
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == password
    url = services["monitor"]["environment"]["MONITOR_DATABASE_URL"]
    parsed = sa.make_url(load_settings(database_url=url).database_url)
    assert (parsed.password, parsed.host, parsed.database) == (password, "postgres", "monitor")
    assert parsed.username == services["postgres"]["environment"]["POSTGRES_USER"]


def test_compose_refuses_to_start_without_a_postgres_password() -> None:
    """No default password: a missing POSTGRES_PASSWORD stops `up` with what to do."""
    with pytest.raises(MissingVariableError, match=r"set POSTGRES_PASSWORD in \.env"):
        compose_services({})


def test_compose_publishes_no_fixed_host_port_and_limits_cpu() -> None:
    """`--scale monitor=2` needs a Docker-picked host port; each replica gets one CPU."""
    monitor = compose_services({"POSTGRES_PASSWORD": "x"})["monitor"]
    [published] = monitor["ports"]
    host_ip, host_port, container_port = published.split(":")
    assert (host_ip, host_port, container_port) == ("127.0.0.1", "", "8080")
    assert monitor["deploy"]["resources"]["limits"]["cpus"] == "1"
