"""The deployment files read as their tools read them, for tests: the Dockerfile's
instructions, the environment a Kubernetes pod of deploy/kubernetes gets, and Compose's
variable substitution.

`pod_environment()` is what `kubectl apply -k deploy/kubernetes/` (with the Secret
template applied) gives the container: the image's ENV, then the Deployment's `env`,
each `secretKeyRef` / `configMapKeyRef` resolved against the Secret's `stringData` and
the ConfigMaps' `data`. A reference the manifests cannot satisfy fails the way the pod
would (CreateContainerConfigError), and a construct this reader does not know fails the
test rather than being skipped, so the manifests and this reader cannot drift apart.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE_FILE = REPO_ROOT / "deploy" / "docker-compose.yml"
KUBERNETES_DIR = REPO_ROOT / "deploy" / "kubernetes"
# Applied by the operator from a copy (see deploy/kubernetes/README.md), not by kustomize.
SECRET_TEMPLATE = KUBERNETES_DIR / "secret.yaml"
# Image variables that describe the image's own filesystem (its virtualenv), not monitor.
IMAGE_LAYOUT_VARIABLES = frozenset({"PATH", "VIRTUAL_ENV"})


# -- Dockerfile ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    arguments: str


def read_instructions(dockerfile: Path = DOCKERFILE) -> list[Instruction]:
    """The Dockerfile's instructions in order, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def build_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions of the first stage (the one that installs), FROM excluded."""
    froms = [i for i, step in enumerate(instructions) if step.keyword == "FROM"]
    end = froms[1] if len(froms) > 1 else len(instructions)
    return instructions[froms[0] + 1 : end]


def runtime_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions of the last stage (the image that runs)."""
    last_from = max(i for i, step in enumerate(instructions) if step.keyword == "FROM")
    return instructions[last_from:]


def expand(value: str, env: Mapping[str, str]) -> str:
    """Docker's $VAR / ${VAR} substitution in ENV, WORKDIR and COPY arguments."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def image_environment() -> dict[str, str]:
    """The runtime image's ENV variables, except those about its filesystem layout."""
    env: dict[str, str] = {}
    for step in runtime_stage(read_instructions()):
        if step.keyword == "ENV":
            for pair in shlex.split(step.arguments):
                name, _, value = pair.partition("=")
                env[name] = expand(value, env)
    return {name: value for name, value in env.items() if name not in IMAGE_LAYOUT_VARIABLES}


# -- Kubernetes ----------------------------------------------------------------------


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document in `path`."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def kustomization_objects() -> list[dict[str, Any]]:
    """The objects `kubectl apply -k deploy/kubernetes/` creates: its resources, in order."""
    [kustomization] = yaml_documents(KUBERNETES_DIR / "kustomization.yaml")
    unknown = set(kustomization) - {"apiVersion", "kind", "resources"}
    assert not unknown, f"tests/manifests.py does not read kustomization fields {unknown}"
    return [
        document
        for resource in kustomization["resources"]
        for document in yaml_documents(KUBERNETES_DIR / resource)
    ]


def applied_objects() -> list[dict[str, Any]]:
    """What runs in the cluster: the kustomization's objects and the Secret template."""
    return [*kustomization_objects(), *yaml_documents(SECRET_TEMPLATE)]


def find_object(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> Any:
    """The one object of `kind` (and `name`, when given)."""
    found = [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def monitor_container(objects: list[dict[str, Any]]) -> Any:
    """The Deployment's one container."""
    [container] = find_object(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def deployment_environment(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The container's `env`, every reference resolved as the kubelet resolves it."""
    container = monitor_container(objects)
    assert "envFrom" not in container, "tests/manifests.py does not read envFrom; add it"
    env: dict[str, str] = {}
    for item in container.get("env", []):
        value = _env_value(objects, item)
        if value is not None:
            env[item["name"]] = value
    return env


def _env_value(objects: list[dict[str, Any]], item: dict[str, Any]) -> str | None:
    if "value" in item:
        return str(item["value"])
    source = item["valueFrom"]
    if "secretKeyRef" in source:
        ref, kind, field = source["secretKeyRef"], "Secret", "stringData"
    elif "configMapKeyRef" in source:
        ref, kind, field = source["configMapKeyRef"], "ConfigMap", "data"
    else:
        raise AssertionError(f"tests/manifests.py cannot resolve {item['name']}: {source}")
    values = find_object(objects, kind, ref["name"]).get(field) or {}
    if ref["key"] in values:
        return str(values[ref["key"]])
    assert ref.get("optional", False), (
        f"{item['name']}: {kind} {ref['name']} has no key {ref['key']}; the pod would not "
        "start (CreateContainerConfigError)"
    )
    return None


def pod_environment(objects: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The container's environment: the image's ENV, overridden by the Deployment's env."""
    return {**image_environment(), **deployment_environment(objects or applied_objects())}


# -- Compose -------------------------------------------------------------------------

_COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


class MissingVariableError(ValueError):
    """A ${NAME:?message} whose NAME is unset or empty: `docker compose` stops with message."""


def compose_interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} substitution."""

    def substitute(found: re.Match[str]) -> str:
        value = variables.get(found.group("name"), "")
        if value:
            return value
        if found.group("op") == ":?":
            raise MissingVariableError(found.group("arg"))
        return found.group("arg") or "" if found.group("op") == ":-" else ""

    return _COMPOSE_VARIABLE.sub(substitute, text)


def compose_services(variables: Mapping[str, str]) -> dict[str, Any]:
    """The Compose file's services, each string value substituted with `variables` after
    the YAML is parsed (as Compose does, so a value's characters cannot change the YAML)."""
    [compose] = yaml_documents(COMPOSE_FILE)
    services: dict[str, Any] = _substituted(compose["services"], variables)
    return services


def _substituted(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return compose_interpolate(node, variables)
    if isinstance(node, dict):
        return {key: _substituted(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [_substituted(value, variables) for value in node]
    return node
