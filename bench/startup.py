"""Benchmark: how long `monitor --help` and `monitor explain` take to start and finish.

Every command is a fresh process, so its start-up (imports, settings, rule files) is
paid on each call. Measured here, best of 5 runs each, in the same run as `python -c
pass` (the interpreter alone, to read the others against on a shared, loaded machine):

- `monitor --help`: the goal is at most 0.4 s;
- `monitor explain` of one seed article on a database seeded with `monitor seed`, rules
  cache warm (the first explain writes it): the goal is at most 1 s.

The last line printed is a JSON object with `help_s`, `explain_s` and `python_s`, and
the CPU time (user + system) of the same runs, best of 5, as `*_cpu_s`: on a shared,
loaded machine a process waits for a CPU, and its wall time grows while its CPU time
stays close to what it takes on a quiet one.

Run from the repository root: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import json
import os
import resource
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


def best_of(command: list[str], env: dict[str, str], runs: int = RUNS) -> tuple[float, float]:
    """The shortest wall time and the shortest CPU time (user + system) of `runs` runs of
    `command` (each must exit 0)."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu_before = _children_cpu_s()
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu_s() - cpu_before)
    return min(walls), min(cpus)


def _children_cpu_s() -> float:
    """CPU seconds used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        python_s, python_cpu_s = best_of([python, "-c", "pass"], env)
        help_s, help_cpu_s = best_of([*monitor, "--help"], env)
        explain_s, explain_cpu_s = best_of(explain, env)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python -c pass:   {python_s:.3f} s  (CPU {python_cpu_s:.3f} s)")
    print(
        f"monitor --help:   {help_s:.3f} s  (CPU {help_cpu_s:.3f} s; "
        f"{help_s / python_s:.1f}x python; goal {HELP_GOAL_S} s)"
    )
    print(
        f"monitor explain:  {explain_s:.3f} s  (CPU {explain_cpu_s:.3f} s; "
        f"{explain_s / python_s:.1f}x python; goal {EXPLAIN_GOAL_S} s)"
    )
    print(f"best of {RUNS} runs each; 1-minute load average {load:.2f} on {os.cpu_count()} CPUs")
    print(
        json.dumps(
            {
                "python_s": round(python_s, 3),
                "help_s": round(help_s, 3),
                "explain_s": round(explain_s, 3),
                "python_cpu_s": round(python_cpu_s, 3),
                "help_cpu_s": round(help_cpu_s, 3),
                "explain_cpu_s": round(explain_cpu_s, 3),
                "help_goal_s": HELP_GOAL_S,
                "explain_goal_s": EXPLAIN_GOAL_S,
                "runs": RUNS,
                "load_1m": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
