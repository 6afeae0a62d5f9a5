"""Benchmark of hot-issue clustering and the duplicate-check similarity (plain script, not a test).

    python bench/hot_issues.py [--copies 1 4 10]

Prints a table and writes var/bench/hot_issues.json:
- clustering time of hot-issues.csv (4,326 messages) and of 4× / 10× synthetic copies (each copy's
  place names changed and its dates moved a year on, so the copies are other issues, not reposts);
- similarity of 1 text against 200 (the duplicate check's case);
- pairwise precision / recall of the clustering on the hand-labelled pairs
  (tests/intelligence/data/hot_issue_pairs.csv), and of DUPLICATE_THRESHOLD on the same pairs, with
  the share of reposts and of random pairs above it.
"""

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridgov.intelligence.hot_issues import Message, cluster_messages, find_hot_issues, repost_key  # noqa: E402
from gridgov.intelligence.places import extract_places  # noqa: E402
from gridgov.intelligence.similarity import DUPLICATE_THRESHOLD, similarity_scores  # noqa: E402

SHARED = Path(os.environ.get("GRIDGOV_SHARED_DATA", ROOT.parent / "shared" / "data"))
CSV = SHARED / "gov-messages" / "hot-issues.csv"
PAIRS = ROOT / "tests" / "intelligence" / "data" / "hot_issue_pairs.csv"
OUT = ROOT / "var" / "bench" / "hot_issues.json"
MARKS = "东西南北中上下新老外"


def load() -> list[Message]:
    with CSV.open(encoding="utf-8") as handle:
        return [
            Message(
                id=row["message_id"],
                title=row["title"],
                body=row["body"],
                created_at=datetime.fromisoformat(row["created_at"]),
                reporter=row["user"],
                likes=int(row["likes"] or 0),
                against=int(row["against"] or 0),
            )
            for row in csv.DictReader(handle)
        ]


def renamed(text: str, mark: str) -> str:
    """The text with `mark` in front of every estate, road, facility, village and community name."""
    for place in sorted(extract_places(text), key=lambda p: -p.start):
        if place.kind in {"estate", "road", "facility", "village", "community", "street", "town"}:
            text = text[: place.start] + mark + text[place.start :]
    return text


def copies(messages: list[Message], count: int) -> list[Message]:
    result = list(messages)
    for copy in range(1, count):
        mark = MARKS[(copy - 1) % len(MARKS)] * (1 + (copy - 1) // len(MARKS))
        for message in messages:
            result.append(
                replace(
                    message,
                    id=f"{message.id}-{copy}",
                    title=renamed(message.title, mark),
                    body=renamed(message.body, mark),
                    created_at=message.created_at + timedelta(days=400 * copy),
                    reporter=f"{message.reporter}-{copy}",
                )
            )
    return result


def timed(function, *args, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def clustering_precision_recall(cluster_of: dict[str, int]) -> dict[str, float]:
    with PAIRS.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for pair in pairs:
        same = cluster_of[pair["message_a"]] == cluster_of[pair["message_b"]]
        truth = pair["same_issue"] == "1"
        counts[("t" if same == truth else "f") + ("p" if same else "n")] += 1
    return {
        "pairs": len(pairs),
        "precision": counts["tp"] / max(1, counts["tp"] + counts["fp"]),
        "recall": counts["tp"] / max(1, counts["tp"] + counts["fn"]),
        **counts,
    }


def duplicate_threshold(messages: list[Message]) -> list[dict[str, float]]:
    """P/R of the duplicate check on the labelled pairs, each compared among 200 texts as in use."""
    rng = random.Random(5)
    text = {m.id: m.title + "\n" + m.body for m in messages}
    texts = list(text.values())

    def score(first: str, second: str) -> float:
        return similarity_scores(first, [second, *rng.sample(texts, 199)])[0]

    with PAIRS.open(encoding="utf-8") as handle:
        labelled = [
            (score(text[p["message_a"]], text[p["message_b"]]), p["same_issue"] == "1")
            for p in csv.DictReader(handle)
        ]
    by_body: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        by_body[repost_key(message.body)].append(message)
    reposts = [
        score(text[a.id], text[b.id])
        for group in by_body.values()
        for a, b in pairwise(group)
        if a.title != b.title
    ]
    randoms = [score(*rng.sample(texts, 2)) for _ in range(2000)]
    rows = []
    for threshold in (0.15, 0.2, DUPLICATE_THRESHOLD, 0.3, 0.4):
        above = [truth for value, truth in labelled if value >= threshold]
        positives = sum(truth for _, truth in labelled)
        rows.append(
            {
                "threshold": threshold,
                "precision": sum(above) / max(1, len(above)),
                "recall": sum(above) / max(1, positives),
                "reposts_above": sum(value >= threshold for value in reposts) / max(1, len(reposts)),
                "random_above": sum(value >= threshold for value in randoms) / len(randoms),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="*", default=[1, 4, 10])
    arguments = parser.parse_args()
    messages = load()
    report: dict[str, object] = {
        "messages": len(messages),
        "at": datetime.now().isoformat(timespec="seconds"),
    }

    growth = []
    print(f"{'copies':>6} {'messages':>9} {'cluster s':>10} {'find_hot_issues s':>18} {'groups ≥2':>10}")
    for count in arguments.copies:
        data = copies(messages, count)
        cluster_seconds, groups = timed(cluster_messages, data, repeat=2 if count == 1 else 1)
        find_seconds, issues = timed(find_hot_issues, data)
        big = sum(1 for group in groups if len(group) >= 2)
        growth.append(
            {
                "copies": count,
                "messages": len(data),
                "cluster_seconds": cluster_seconds,
                "find_seconds": find_seconds,
                "groups": big,
            }
        )
        print(f"{count:>6} {len(data):>9} {cluster_seconds:>10.2f} {find_seconds:>18.2f} {big:>10}")
        if count == 1:
            cluster_of = {data[i].id: n for n, group in enumerate(groups) for i in group}
            report["pairwise"] = clustering_precision_recall(cluster_of)
            report["top5"] = [
                {
                    "label": i.label,
                    "heat": round(i.heat, 1),
                    "messages": i.messages,
                    "reporters": i.reporters,
                    "likes": i.likes,
                }
                for i in issues[:5]
            ]
    report["growth"] = growth

    rng = random.Random(1)
    texts = [m.title + "\n" + m.body for m in messages]
    durations = []
    for _ in range(50):
        sample = rng.sample(texts, 201)
        started = time.perf_counter()
        similarity_scores(sample[0], sample[1:])
        durations.append(time.perf_counter() - started)
    report["similarity_1_vs_200_ms"] = {
        "median": statistics.median(durations) * 1000,
        "p90": sorted(durations)[44] * 1000,
    }
    median, p90 = statistics.median(durations) * 1000, sorted(durations)[44] * 1000
    print(f"similarity 1 vs 200: median {median:.1f} ms, p90 {p90:.1f} ms")

    if "pairwise" in report:
        p = report["pairwise"]
        assert isinstance(p, dict)
        print(f"clustering on {p['pairs']} labelled pairs: ", end="")
        print(f"precision {p['precision']:.2f}, recall {p['recall']:.2f}")
    rows = duplicate_threshold(messages)
    report["duplicate_threshold"] = rows
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'reposts ≥':>10} {'random ≥':>9}")
    for row in rows:
        print(
            f"{row['threshold']:>9.2f} {row['precision']:>9.2f} {row['recall']:>7.2f} "
            f"{row['reposts_above']:>10.3f} {row['random_above']:>9.4f}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
