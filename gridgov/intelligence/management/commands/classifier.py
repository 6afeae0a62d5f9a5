"""manage.py classifier train | evaluate | predict | holdout: the message classifier from the command line.

train     [--labelled CSV ...] [--no-unlabelled] [--no-corrections] [--output PATH] [--data DIR] [--seed N]
          labelled.csv of the shared data + every --labelled CSV + the product's corrections
          (intelligence.queries.labelled_examples) + weak labels from replies + the unlabelled pools.
          Without --output the model becomes the current version in GRIDGOV_MODEL_DIR.
evaluate  --input CSV [--model PATH]     per-class report, confusion matrix, last line
          "macro_f1=0.8731 accuracy=0.8800 n=200"
predict   --input CSV --output CSV [--model PATH]   the input's columns + predicted_label,
          predicted_department, confidence
holdout   [--cv-repeats N] [--no-unlabelled] [--data DIR] [--seed N]   the reported protocol in one
          command: train on the fixed training split, score the held-out 30% (last line as evaluate)
"""

import csv
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _
from sklearn.metrics import classification_report, confusion_matrix

from gridgov.intelligence import queries, store
from gridgov.intelligence.classifier import (
    Evaluation,
    ModelFileError,
    TextClassifier,
    cross_validate,
    evaluate,
    holdout_run,
    load,
    save,
    train,
)
from gridgov.intelligence.corpus import (
    CorpusError,
    load_shared,
    read_evaluation,
    read_labelled,
    read_messages,
)

PREDICTION_COLUMNS = ("predicted_label", "predicted_department", "confidence")


class Command(BaseCommand):
    help = "Train, evaluate and apply the message classifier (first-level class → department)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        assert isinstance(parser, CommandParser)
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)

        train_parser = actions.add_parser("train", help="build a new model version")
        train_parser.add_argument(
            "--labelled", type=Path, action="append", default=[], help="an extra CSV with title, body, label"
        )
        train_parser.add_argument(
            "--no-unlabelled",
            action="store_true",
            help="leave out the unlabelled pools and the reply weak labels",
        )
        train_parser.add_argument(
            "--no-corrections",
            action="store_true",
            help="leave out the categories people gave in the product",
        )
        train_parser.add_argument(
            "--output", type=Path, default=None, help="write the model here instead of making it current"
        )
        self._data_options(train_parser)

        evaluate_parser = actions.add_parser("evaluate", help="score a model on a labelled CSV")
        evaluate_parser.add_argument("--input", type=Path, required=True, help="CSV with title, body, label")
        evaluate_parser.add_argument(
            "--model", type=Path, default=None, help="a model file (default: current)"
        )

        predict_parser = actions.add_parser("predict", help="classify every row of a CSV")
        predict_parser.add_argument("--input", type=Path, required=True, help="CSV with title and body")
        predict_parser.add_argument("--output", type=Path, required=True, help="the CSV to write")
        predict_parser.add_argument(
            "--model", type=Path, default=None, help="a model file (default: current)"
        )

        holdout_parser = actions.add_parser(
            "holdout", help="train on the training split, score the held-out split"
        )
        holdout_parser.add_argument(
            "--cv-repeats", type=int, default=0, help="also run repeated stratified 5-fold CV this many times"
        )
        holdout_parser.add_argument("--no-unlabelled", action="store_true", help="labelled data only")
        self._data_options(holdout_parser)

    @staticmethod
    def _data_options(parser: ArgumentParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            default=None,
            help="the gov-messages folder (default: GRIDGOV_SHARED_DATA/gov-messages)",
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "handle_" + options["action"])(options)
        except (CorpusError, ModelFileError) as exc:
            raise CommandError(str(exc)) from exc

    # --- train ---------------------------------------------------------------------------------------

    def handle_train(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        shared = load_shared(self._data_dir(options))
        labelled = list(shared.labelled)
        for path in options["labelled"]:
            labelled += read_labelled(path)
        corrections = [] if options["no_corrections"] else self._corrections()
        use_pools = not options["no_unlabelled"]
        model = train(
            [(message.text, message.label) for message in labelled],
            [message.text for message in shared.unlabelled] if use_pools else [],
            weak=[(message.text, message.label) for message in shared.weak] if use_pools else [],
            corrections=corrections,
            taxonomy=shared.taxonomy,
            seed=options["seed"],
        )
        if options["output"] is not None:
            save(model, options["output"])
            path = options["output"]
        else:
            path = store.save_new_version(model)
        summary = model.summary
        self.stdout.write(f"version={model.version}")
        self.stdout.write(
            f"labelled={summary['labelled']} corrections={summary['corrections']} weak={summary['weak']} "
            f"unlabelled={summary['unlabelled']} self_trained={summary['self_trained']}"
        )
        internal = summary.get("internal_cv") or {}
        if internal:
            self.stdout.write(
                f"internal {internal['folds']}-fold CV on the labelled texts: "
                f"macro_f1={internal['macro_f1']:.4f} accuracy={internal['accuracy']:.4f} n={internal['n']}"
            )
        self.stdout.write(f"file={path}")
        self.stdout.write(f"seconds={time.perf_counter() - started:.1f}")

    # --- evaluate ------------------------------------------------------------------------------------

    def handle_evaluate(self, options: dict[str, Any]) -> None:
        messages = read_evaluation(options["input"])
        if not messages:
            raise CommandError(_("%(path)s has no rows.") % {"path": options["input"]})
        model = self._model(options["model"])
        self._report(model, evaluate(model, messages))

    def _report(self, model: TextClassifier, evaluation: Evaluation) -> None:
        labels = sorted(set(evaluation.gold) | set(evaluation.predicted), key=self._label_order(model))
        self.stdout.write(f"model={model.version}")
        self.stdout.write(
            classification_report(
                evaluation.gold, evaluation.predicted, labels=labels, digits=4, zero_division=0
            )
        )
        matrix = confusion_matrix(evaluation.gold, evaluation.predicted, labels=labels)
        self.stdout.write("confusion matrix (rows: true class, columns: predicted class)")
        width = max(len(label) for label in labels)
        self.stdout.write(" " * (width + 2) + " ".join(f"{i:>4}" for i in range(len(labels))))
        for i, (label, row) in enumerate(zip(labels, matrix, strict=True)):
            self.stdout.write(f"{label:<{width}} {i:>1} " + " ".join(f"{count:>4}" for count in row))
        confidence = np.array(evaluation.confidence)
        correct = np.array(evaluation.gold) == np.array(evaluation.predicted)
        right = float(confidence[correct].mean()) if correct.any() else 0.0
        wrong = float(confidence[~correct].mean()) if (~correct).any() else 0.0
        self.stdout.write(f"mean confidence={confidence.mean():.4f} (correct {right:.4f}, wrong {wrong:.4f})")
        self.stdout.write(
            f"macro_f1={evaluation.macro_f1:.4f} accuracy={evaluation.accuracy:.4f} n={evaluation.n}"
        )

    @staticmethod
    def _label_order(model: TextClassifier) -> Any:
        order = {label: i for i, label in enumerate(model.labels)}
        return lambda label: (order.get(label, len(order)), label)

    # --- predict -------------------------------------------------------------------------------------

    def handle_predict(self, options: dict[str, Any]) -> None:
        source: Path = options["input"]
        messages = read_messages(source)  # checks the title and body columns
        model = self._model(options["model"])
        with source.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            columns = [name.strip() for name in next(reader, [])]
            rows = [row for row in reader if row]  # as csv.DictReader (read_messages) skips blank lines
        predictions = model.predict([message.text for message in messages])
        departments = {label: store.department_for(label) for label in model.labels}
        kept = [i for i, name in enumerate(columns) if name not in PREDICTION_COLUMNS]
        output: Path = options["output"]
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([columns[i] for i in kept] + list(PREDICTION_COLUMNS))
            for row, prediction in zip(rows, predictions, strict=True):
                writer.writerow(
                    [row[i] if i < len(row) else "" for i in kept]
                    + [
                        prediction.label,
                        departments.get(prediction.label, ""),
                        f"{prediction.confidence:.4f}",
                    ]
                )
        partial.replace(output)
        self.stdout.write(f"model={model.version} rows={len(predictions)} file={output}")

    # --- holdout -------------------------------------------------------------------------------------

    def handle_holdout(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        shared = load_shared(self._data_dir(options))
        use_pools = not options["no_unlabelled"]
        if options["cv_repeats"] > 0:
            results = cross_validate(
                shared, repeats=options["cv_repeats"], seed=options["seed"], use_unlabelled=use_pools
            )
            f1 = np.array([result.macro_f1 for result in results])
            accuracy = np.array([result.accuracy for result in results])
            self.stdout.write(
                f"cv {options['cv_repeats']}x5-fold over all {len(shared.labelled)} labelled: "
                f"macro_f1={f1.mean():.4f}±{f1.std():.4f} "
                f"accuracy={accuracy.mean():.4f}±{accuracy.std():.4f} folds={len(results)}"
            )
        model, evaluation = holdout_run(shared, seed=options["seed"], use_unlabelled=use_pools)
        self.stdout.write(
            f"held-out split: {evaluation.n} of {len(shared.labelled)} labelled messages "
            f"(corpus.holdout_split), trained on {model.summary['labelled']} + {model.summary['weak']} weak; "
            f"seconds={time.perf_counter() - started:.1f}"
        )
        self._report(model, evaluation)

    # --- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _corrections() -> list[tuple[str, str]]:
        try:
            return queries.labelled_examples()
        except DatabaseError as exc:
            raise CommandError(
                _("Cannot read the corrections (%(error)s): run manage.py migrate or pass --no-corrections.")
                % {"error": exc}
            ) from exc

    @staticmethod
    def _data_dir(options: dict[str, Any]) -> Path:
        folder: Path = options["data"] or Path(settings.GRIDGOV_SHARED_DATA) / "gov-messages"
        if not folder.is_dir():
            raise CommandError(_("The data folder %(path)s does not exist.") % {"path": folder})
        return folder

    @staticmethod
    def _model(path: Path | None) -> TextClassifier:
        if path is not None:
            if not path.is_file():
                raise CommandError(_("%(path)s does not exist.") % {"path": path})
            return load(path)
        model = store.current_model()
        if model is None:
            raise CommandError(_("No classifier has been trained yet: run manage.py classifier train."))
        return model
