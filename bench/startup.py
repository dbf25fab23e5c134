"""Benchmark: how long `monitor --help` and `monitor explain` take to start and finish.

Every command is a fresh process, so its start-up (imports, settings, rule files) is
paid on each call. Measured here, best of 5 runs each, in the same run as `python -c
pass` (the interpreter alone, to read the others against on a shared, loaded machine):

- `monitor --help`: the goal is at most 0.4 s;
- `monitor explain` of one seed article on a database seeded with `monitor seed`, rules
  cache warm (the first explain writes it): the goal is at most 1 s.

The last line printed is a JSON object with `help_s`, `explain_s` and `python_s`.

Run from the repository root: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
HELP_GOAL_S = 0.4
EXPLAIN_GOAL_S = 1.0
SEED_ARTICLE = ROOT / "seeds" / "000_b9bc8e2e153b431c.txt"


def best_of(command: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    """The shortest wall time of `runs` runs of `command` (each must exit 0)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    python = sys.executable
    monitor = [python, "-m", "monitor"]
    with tempfile.TemporaryDirectory(prefix="monitor-startup-") as scratch:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
            "MONITOR_DATA_DIR": str(Path(scratch) / "data"),
            "MONITOR_RULES_DIR": str(ROOT / "rules"),
            "MONITOR_SEEDS_DIR": str(ROOT / "seeds"),
        }
        subprocess.run([*monitor, "seed"], env=env, check=True, capture_output=True, cwd=ROOT)
        explain = [*monitor, "explain", str(SEED_ARTICLE)]
        subprocess.run(explain, env=env, check=True, capture_output=True, cwd=ROOT)  # warm
        python_s = best_of([python, "-c", "pass"], env)
        help_s = best_of([*monitor, "--help"], env)
        explain_s = best_of(explain, env)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python -c pass:   {python_s:.3f} s")
    print(
        f"monitor --help:   {help_s:.3f} s  ({help_s / python_s:.1f}x python; goal {HELP_GOAL_S} s)"
    )
    print(
        f"monitor explain:  {explain_s:.3f} s  ({explain_s / python_s:.1f}x python; "
        f"goal {EXPLAIN_GOAL_S} s)"
    )
    print(f"best of {RUNS} runs each; 1-minute load average {load:.2f} on {os.cpu_count()} CPUs")
    print(
        json.dumps(
            {
                "python_s": round(python_s, 3),
                "help_s": round(help_s, 3),
                "explain_s": round(explain_s, 3),
                "help_goal_s": HELP_GOAL_S,
                "explain_goal_s": EXPLAIN_GOAL_S,
                "runs": RUNS,
                "load_1m": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
