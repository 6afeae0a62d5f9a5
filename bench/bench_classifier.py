"""Adapter: runs the standalone bench/classifier.py (its own process, one core) and reads its JSON.

The script trains the message classifier on the fixed training split of the shared gov messages and
scores the held-out 30 %, beside its plain baseline (character TF-IDF + LinearSVC) trained on the same
split; see the script's docstring. Quick and full are the same run (the optional repeated
cross-validation of the script is left out: one training per fold).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.harness import ROOT, Row, Skip

NAME = "classifier"
SCRIPT = ROOT / "bench" / "classifier.py"
OUTPUT = ROOT / "var" / "bench" / "classifier.json"
TIMEOUT_SECONDS = 3600


def shared_data() -> Path:
    return Path(os.environ.get("GRIDGOV_SHARED_DATA", ROOT.parent / "shared" / "data"))


def run_script(script: Path, arguments: list[str]) -> None:
    completed = subprocess.run(
        [sys.executable, str(script), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{script.name} exited {completed.returncode}: {completed.stderr[-2000:]}")


def run(quick: bool) -> list[Row]:
    if not (shared_data() / "gov-messages").is_dir():
        raise Skip(f"the shared data folder {shared_data() / 'gov-messages'} is absent")
    OUTPUT.unlink(missing_ok=True)
    run_script(SCRIPT, [])
    data = json.loads(OUTPUT.read_text(encoding="utf-8"))
    ours, plain = data["classifier"], data["baseline_char_tfidf_linearsvc"]
    note = "baseline: character 1–3-gram TF-IDF + LinearSVC on the same split"
    return [
        Row(
            "held-out macro F1", ours["held_out_macro_f1"], "", baseline=plain["held_out_macro_f1"], note=note
        ),
        Row("held-out accuracy", ours["held_out_accuracy"], "", baseline=plain["held_out_accuracy"]),
        Row("train time", ours["train_seconds"], "s", baseline=plain["train_seconds"]),
        Row(
            "predict, one message at a time",
            ours["predict_single_us_per_message"],
            "µs/message",
            baseline=plain["predict_single_us_per_message"],
        ),
        Row(
            "predict, batch of 1,000",
            ours["predict_batch_us_per_message"],
            "µs/message",
            baseline=plain["predict_batch_us_per_message"],
        ),
        Row("model load (median of 5)", ours["load_ms_median"], "ms"),
        Row("model file", ours["file_mb"], "MB"),
    ]
