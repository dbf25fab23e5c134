"""The seed articles: the baseline coverage the newsroom started from.

Input: a seeds directory with `manifest.yaml` and the plain-text articles it
lists. Output: SeedArticle values in publication order, ready for the same
pipeline as feed articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from monitor.errors import ConfigError

MANIFEST = "manifest.yaml"


@dataclass(frozen=True, slots=True)
class SeedArticle:
    """One seed document and what the manifest says about it."""

    path: Path
    source: str
    published_at: datetime
    about: str

    @property
    def url(self) -> str:
        # Stable across checkouts, so `monitor seed` stays idempotent wherever it runs.
        return f"seed://{self.path.name}"


def _published(value: object, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(
                f"{where}: published {value!r} is not an ISO-8601 time, e.g. 2026-01-09T01:00:00Z"
            ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def load_seeds(seeds_dir: Path) -> list[SeedArticle]:
    """The manifest's documents, oldest first; ConfigError names what is missing or malformed."""
    manifest = seeds_dir / MANIFEST
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read {manifest}: {exc.strerror}; set MONITOR_SEEDS_DIR to the seeds folder"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{manifest}: not valid YAML: {exc}") from exc
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        raise ConfigError(
            f"{manifest}: expected a 'documents:' list of {{file, source, published}}"
        )
    seeds = []
    for number, entry in enumerate(documents, start=1):
        where = f"{manifest} (document {number})"
        if not isinstance(entry, dict) or not {"file", "source", "published"} <= entry.keys():
            raise ConfigError(f"{where}: each document needs file, source and published")
        path = seeds_dir / str(entry["file"])
        if not path.is_file():
            raise ConfigError(f"{where}: {path} does not exist")
        seeds.append(
            SeedArticle(
                path=path,
                source=str(entry["source"]),
                published_at=_published(entry["published"], where),
                about=str(entry.get("about", "")),
            )
        )
    return sorted(seeds, key=lambda seed: seed.published_at)
