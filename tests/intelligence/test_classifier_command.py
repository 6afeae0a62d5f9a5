"""manage.py classifier train | evaluate | predict | holdout, run through call_command on made-up files."""

import csv
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from sklearn.metrics import accuracy_score, f1_score

from gridgov.intelligence import store
from gridgov.intelligence.classifier import load
from gridgov.intelligence.models import ExampleSource, LabelledExample
from gridgov.intelligence.text import message_text

from .conftest import synthetic_set, write_csv

pytestmark = pytest.mark.django_db

LAST_LINE = re.compile(r"^macro_f1=(\d\.\d{4}) accuracy=(\d\.\d{4}) n=(\d+)$")


def run(*args: str) -> str:
    out = StringIO()
    call_command("classifier", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def trained(model_dir: Path, data_dir: Path):
    run("train", "--data", str(data_dir))
    return store.current_model()


def test_train_makes_a_current_version_from_every_source(model_dir, data_dir, tmp_path):
    LabelledExample.objects.create(text="医院挂号排队太久", label="卫生计生", source=ExampleSource.CORRECTION)
    extra = write_csv(
        tmp_path / "extra.csv", ["title", "body", "label"], [list(row) for row in synthetic_set(2, seed=9)]
    )
    output = run("train", "--data", str(data_dir), "--labelled", str(extra))
    model = store.current_model()
    assert model is not None
    assert f"version={model.version}" in output
    assert (model_dir / f"classifier-{model.version}.npz").is_file()
    # 30 labelled.csv + 6 extra; 1 correction; 9 replies name one department; 12 + 12 + 9 unlabelled
    assert "labelled=36 corrections=1 weak=9 unlabelled=33" in output
    assert re.search(r"^seconds=\d+\.\d$", output, re.MULTILINE)


def test_train_without_pools_and_to_a_file_leaves_the_current_version_alone(model_dir, data_dir, tmp_path):
    target = tmp_path / "elsewhere" / "model.npz"
    output = run("train", "--data", str(data_dir), "--no-unlabelled", "--output", str(target))
    assert "weak=0 unlabelled=0" in output
    assert load(target).summary["weak"] == 0
    assert store.current_model() is None


def test_evaluate_ends_with_the_metrics_line_equal_to_sklearn(trained, tmp_path):
    rows = synthetic_set(5, seed=21)
    rows[0] = ("请问", "问题", "卫生计生")  # a message without class words: some errors are possible
    path = write_csv(
        tmp_path / "eval.csv",
        ["message_id", "title", "body", "label", "ignored"],
        [[str(i), title, body, label, "x"] for i, (title, body, label) in enumerate(rows)],
    )
    output = run("evaluate", "--input", str(path))
    last = output.strip().splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, last
    gold = [label for _, _, label in rows]
    predicted = [p.label for p in trained.predict([message_text(t, b) for t, b, _ in rows])]
    assert float(match.group(1)) == round(f1_score(gold, predicted, average="macro"), 4)
    assert float(match.group(2)) == round(accuracy_score(gold, predicted), 4)
    assert int(match.group(3)) == len(rows)
    assert "confusion matrix" in output
    for label in trained.labels:
        assert label in output


def test_evaluate_with_a_named_model_file(model_dir, data_dir, tmp_path):
    target = tmp_path / "model.npz"
    run("train", "--data", str(data_dir), "--output", str(target))
    path = write_csv(
        tmp_path / "eval.csv", ["title", "body", "label"], [list(r) for r in synthetic_set(2, seed=5)]
    )
    assert LAST_LINE.match(
        run("evaluate", "--input", str(path), "--model", str(target)).strip().splitlines()[-1]
    )


def test_predict_copies_the_columns_and_adds_class_department_and_confidence(trained, tmp_path):
    rows = synthetic_set(2, seed=31)
    source = write_csv(
        tmp_path / "in.csv",
        ["message_id", "title", "body", "note"],
        [[str(i), t, b, "备注"] for i, (t, b, _) in enumerate(rows)],
    )
    target = tmp_path / "out.csv"
    run("predict", "--input", str(source), "--output", str(target))
    with target.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == len(rows)
    expected = trained.predict([message_text(t, b) for t, b, _ in rows])
    for row, (title, body, _), prediction in zip(written, rows, expected, strict=True):
        assert (row["title"], row["body"], row["note"]) == (title, body, "备注")
        assert row["predicted_label"] == prediction.label
        assert row["predicted_department"] == store.department_for(prediction.label) != ""
        assert 0.0 <= float(row["confidence"]) <= 1.0
        assert float(row["confidence"]) == pytest.approx(prediction.confidence, abs=1e-4)


def test_a_missing_column_is_a_clear_error_and_writes_nothing(trained, tmp_path):
    source = write_csv(tmp_path / "in.csv", ["message_id", "title"], [["1", "学校招生"]])
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="body"):
        run("predict", "--input", str(source), "--output", str(target))
    assert not target.exists()
    assert not list(tmp_path.glob("out.csv*"))
    with pytest.raises(CommandError, match="label"):
        run("evaluate", "--input", str(source))


def test_missing_files_and_models_are_clear_errors(model_dir, data_dir, tmp_path):
    path = write_csv(tmp_path / "eval.csv", ["title", "body", "label"], [["学校", "招生", "教育文体"]])
    with pytest.raises(CommandError, match="No classifier has been trained"):
        run("evaluate", "--input", str(path))
    with pytest.raises(CommandError, match="does not exist"):
        run("evaluate", "--input", str(path), "--model", str(tmp_path / "absent.npz"))
    with pytest.raises(CommandError, match="does not exist"):
        run("evaluate", "--input", str(tmp_path / "absent.csv"))
    (data_dir / "replies.csv").unlink()
    with pytest.raises(CommandError, match=r"replies\.csv"):
        run("train", "--data", str(data_dir))
    assert not model_dir.exists() or not list(model_dir.iterdir())


def test_holdout_trains_on_the_split_and_reports_the_held_out_part(model_dir, data_dir):
    output = run("holdout", "--data", str(data_dir), "--cv-repeats", "1")
    lines = output.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match
    assert int(match.group(3)) == 9  # 30% of 10 per class, 3 classes
    assert any(line.startswith("cv 1x5-fold over all 30 labelled") for line in lines)
    assert store.current_model() is None  # nothing is saved
