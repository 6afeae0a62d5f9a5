"""Benchmark of the message classifier (plain script, not a test; pure: no Django).

    python bench/classifier.py [--cv-repeats 0]

On one core (BLAS/OpenMP threads set to 1 before NumPy loads), in one run:
- trains the classifier on the fixed training split of labelled.csv (corpus.holdout_split) with the
  weak and unlabelled pools purged of the held-out messages, and scores the held-out 30%;
- the plain baseline on the same split: character 1–3-gram TF-IDF + LinearSVC on labelled texts only;
- train time, model load time (median of 5), prediction time per message one at a time and in a
  batch of 1,000, file size; optionally repeated 5-fold CV (slow: one training per fold).
Prints a table and writes var/bench/classifier.json.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import precision_recall_fscore_support  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from gridgov.intelligence import classifier  # noqa: E402
from gridgov.intelligence.corpus import Message, holdout_split, load_shared  # noqa: E402

SHARED = Path(os.environ.get("GRIDGOV_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "var" / "bench" / "classifier.json"
BATCH = 1000


def per_message_us(function: Callable[[], object], count: int, rounds: int = 3) -> float:
    """Best of `rounds` of the time of function() divided by count, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


def baseline(training: Sequence[Message]) -> Pipeline:
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC()
    )
    return pipeline.fit([m.text for m in training], [m.label for m in training])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cv-repeats", type=int, default=0, help="also run repeated 5-fold CV (slow)")
    arguments = parser.parse_args()

    shared = load_shared(SHARED / "gov-messages")
    training, held_out = holdout_split(shared.labelled)
    started = time.perf_counter()
    model, evaluation = classifier.holdout_run(shared)
    train_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.npz"
        classifier.save(model, path)
        size = path.stat().st_size
        loads = []
        for _ in range(5):
            started = time.perf_counter()
            classifier.load(path)
            loads.append(time.perf_counter() - started)

    texts = [m.text for m in held_out]
    batch = [m.text for m in (shared.unlabelled * 2)[:BATCH]]
    model.predict(texts[:5])  # warm up
    single_us = per_message_us(lambda: [model.predict_one(t) for t in texts], len(texts))
    batch_us = per_message_us(lambda: model.predict(batch), len(batch))

    started = time.perf_counter()
    plain = baseline(training)
    baseline_seconds = time.perf_counter() - started
    plain_predicted = list(plain.predict(texts))
    plain_f1, plain_accuracy = classifier.macro_scores(evaluation.gold, plain_predicted)
    plain_single_us = per_message_us(lambda: [plain.predict([t]) for t in texts], len(texts))
    plain_batch_us = per_message_us(lambda: plain.predict(batch), len(batch))

    labels = list(model.labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        evaluation.gold, evaluation.predicted, labels=labels, zero_division=0
    )
    confidence = np.array(evaluation.confidence)
    correct = np.array(evaluation.gold) == np.array(evaluation.predicted)
    result: dict[str, object] = {
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "threads": 1},
        "data": {
            "labelled": len(shared.labelled),
            "training_split": len(training),
            "held_out": len(held_out),
            "weak": model.summary["weak"],
            "unlabelled": model.summary["unlabelled"],
        },
        "classifier": {
            "held_out_macro_f1": round(evaluation.macro_f1, 4),
            "held_out_accuracy": round(evaluation.accuracy, 4),
            "internal_cv_on_training_split": model.summary["internal_cv"],
            "temperature": model.summary["temperature"],
            "mean_confidence_correct": round(float(confidence[correct].mean()), 4),
            "mean_confidence_wrong": round(float(confidence[~correct].mean()), 4)
            if (~correct).any()
            else None,
            "per_class": {
                label: {
                    "precision": round(float(p), 4),
                    "recall": round(float(r), 4),
                    "f1": round(float(f), 4),
                    "support": int(s),
                }
                for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
            },
            "train_seconds": round(train_seconds, 2),
            "load_ms_median": round(statistics.median(loads) * 1000, 1),
            "file_mb": round(size / 2**20, 1),
            "predict_single_us_per_message": round(single_us, 1),
            "predict_batch_us_per_message": round(batch_us, 1),
        },
        "baseline_char_tfidf_linearsvc": {
            "held_out_macro_f1": round(plain_f1, 4),
            "held_out_accuracy": round(plain_accuracy, 4),
            "train_seconds": round(baseline_seconds, 2),
            "predict_single_us_per_message": round(plain_single_us, 1),
            "predict_batch_us_per_message": round(plain_batch_us, 1),
        },
    }
    if arguments.cv_repeats > 0:
        runs = classifier.cross_validate(shared, repeats=arguments.cv_repeats)
        scores = np.array([r.macro_f1 for r in runs])
        accuracies = np.array([r.accuracy for r in runs])
        result["classifier_cv"] = {
            "repeats": arguments.cv_repeats,
            "folds": len(runs),
            "macro_f1_mean": round(float(scores.mean()), 4),
            "macro_f1_sd": round(float(scores.std()), 4),
            "accuracy_mean": round(float(accuracies.mean()), 4),
            "accuracy_sd": round(float(accuracies.std()), 4),
        }

    ours, plain_result = result["classifier"], result["baseline_char_tfidf_linearsvc"]
    assert isinstance(ours, dict) and isinstance(plain_result, dict)
    print(f"held-out split: {len(held_out)} of {len(shared.labelled)} labelled messages, one core")
    print(f"{'':34}{'classifier':>14}{'baseline':>14}")
    for name, key in [
        ("held-out macro F1", "held_out_macro_f1"),
        ("held-out accuracy", "held_out_accuracy"),
        ("train seconds", "train_seconds"),
        ("predict µs/message, one at a time", "predict_single_us_per_message"),
        (f"predict µs/message, batch {BATCH}", "predict_batch_us_per_message"),
    ]:
        print(f"{name:34}{ours[key]:>14}{plain_result[key]:>14}")
    print(f"{'model load ms (median of 5)':34}{ours['load_ms_median']:>14}")
    print(f"{'model file MB':34}{ours['file_mb']:>14}")
    if "classifier_cv" in result:
        cv = result["classifier_cv"]
        assert isinstance(cv, dict)
        print(
            f"CV {cv['repeats']}x5: macro F1 {cv['macro_f1_mean']} ± {cv['macro_f1_sd']}, "
            f"accuracy {cv['accuracy_mean']} ± {cv['accuracy_sd']}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
