"""Benchmark: sentence splitting stays linear on one long paragraph.

Builds one-paragraph texts of 0.1, 1 and 4 MB from the seed articles (their
sentences joined by spaces, no line break), times `split_sentences` on each and
prints the time per MB; linear splitting keeps it roughly constant, so the
ratio of 4 MB to 0.1 MB should be at most 2 (it was quadratic: 100 KB took
4.9 s, 400 KB 76 s). It then times the rest of the per-article analysis
(`match` and claim extraction) on 50 KB and 200 KB paragraphs, the default
MONITOR_MAX_ANALYSED_CHARS, to show it grows linearly too (ratio about 4).
The last line printed is a JSON object with the numbers.

Run from the repository root: .venv/bin/python -m bench.split
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.analysis.engine import analyse_claims, load_rule_set, match  # noqa: E402
from monitor.analysis.sentences import split_sentences  # noqa: E402
from monitor.model import Document  # noqa: E402

SIZES_MB = (0.1, 1.0, 4.0)
ANALYSIS_SIZES = (50_000, 200_000)
ROUNDS = 3
MB = 1_000_000


def one_paragraph(chars: int) -> str:
    """The seed articles' text, whitespace collapsed (no line break), repeated to `chars`."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("0*.txt"))]
    paragraph = " ".join(" ".join(text.split()) for text in texts)
    return (paragraph * (chars // len(paragraph) + 1))[:chars]


def split_s_per_mb(text: str) -> float:
    """Best-of-rounds seconds per MB to split `text` into sentences."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        split_sentences(text)
        best = min(best, time.perf_counter() - started)
    return best / (len(text) / MB)


def analysis_s(chars: int) -> tuple[float, int]:
    """Seconds to match one paragraph of `chars` and extract its claims; and the claims."""
    rule_set = load_rule_set(ROOT / "rules")
    document = Document(
        "bench://split", "", one_paragraph(chars), "bench", datetime(2026, 1, 9, tzinfo=UTC)
    )
    started = time.perf_counter()
    result = match(document, rule_set)
    analysis = analyse_claims(document, result, rule_set, [])
    return time.perf_counter() - started, len(analysis.claims)


def main() -> None:
    per_mb = {size: split_s_per_mb(one_paragraph(int(size * MB))) for size in SIZES_MB}
    for size, seconds in per_mb.items():
        print(f"split {size:>4} MB in one paragraph: {seconds:.3f} s per MB")
    split_ratio = per_mb[4.0] / per_mb[0.1]
    print(f"ratio 4 MB / 0.1 MB per MB: {split_ratio:.2f} (target at most 2)")

    timed = {chars: analysis_s(chars) for chars in ANALYSIS_SIZES}
    for chars, (seconds, claims) in timed.items():
        print(f"match + claims on {chars:,} chars: {seconds:.2f} s ({claims} claims)")
    small, large = ANALYSIS_SIZES
    analysis_ratio = timed[large][0] / timed[small][0]
    print(
        f"ratio {large:,} / {small:,} chars: {analysis_ratio:.2f} (linear: about {large / small:g})"
    )
    print(
        json.dumps(
            {
                "s_per_mb_0_1": round(per_mb[0.1], 4),
                "s_per_mb_1": round(per_mb[1.0], 4),
                "s_per_mb_4": round(per_mb[4.0], 4),
                "ratio_4_over_0_1": round(split_ratio, 3),
                "analysis_s_50k": round(timed[small][0], 3),
                "analysis_s_200k": round(timed[large][0], 3),
                "analysis_ratio_200k_over_50k": round(analysis_ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
