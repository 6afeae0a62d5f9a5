"""Adapter: runs the standalone bench/hot_issues.py (its own process) and reads its JSON.

Quick: clustering of the 4,326 hot-issue messages once; full: also 4× and 10× synthetic copies, to
show how clustering grows. Both: similarity of one text against 200 (the duplicate check) and the
precision and recall of the clustering and of the duplicate threshold on the hand-labelled pairs.
The script has no baselines: these rows have none.
"""

import json

from bench.bench_classifier import run_script, shared_data
from bench.harness import ROOT, Row, Skip

NAME = "hot_issues"
SCRIPT = ROOT / "bench" / "hot_issues.py"
OUTPUT = ROOT / "var" / "bench" / "hot_issues.json"
COPIES = {True: ["1"], False: ["1", "4", "10"]}


def run(quick: bool) -> list[Row]:
    if not (shared_data() / "gov-messages" / "hot-issues.csv").is_file():
        raise Skip(f"{shared_data() / 'gov-messages' / 'hot-issues.csv'} is absent")
    from gridgov.intelligence.similarity import DUPLICATE_THRESHOLD

    OUTPUT.unlink(missing_ok=True)
    run_script(SCRIPT, ["--copies", *COPIES[quick]])
    data = json.loads(OUTPUT.read_text(encoding="utf-8"))
    rows = []
    for step in data["growth"]:
        size = f"{step['messages']:,} messages"
        rows.append(Row(f"cluster_messages, {size}", step["cluster_seconds"], "s"))
        rows.append(Row(f"find_hot_issues, {size}", step["find_seconds"], "s"))
    similarity = data["similarity_1_vs_200_ms"]
    rows.append(Row("similarity of 1 text vs 200, median", similarity["median"], "ms"))
    rows.append(Row("similarity of 1 text vs 200, p90", similarity["p90"], "ms"))
    if "pairwise" in data:
        pairs = data["pairwise"]
        rows.append(Row(f"clustering precision ({pairs['pairs']} labelled pairs)", pairs["precision"], ""))
        rows.append(Row(f"clustering recall ({pairs['pairs']} labelled pairs)", pairs["recall"], ""))
    for threshold in data["duplicate_threshold"]:
        if abs(threshold["threshold"] - DUPLICATE_THRESHOLD) < 1e-9:
            rows.append(
                Row(f"duplicate check precision at {DUPLICATE_THRESHOLD}", threshold["precision"], "")
            )
            rows.append(Row(f"duplicate check recall at {DUPLICATE_THRESHOLD}", threshold["recall"], ""))
    return rows
