"""The message classifier: message text → first-level class with a calibrated probability (pure: no Django).

Prediction        the class, its probability and every class ranked by probability
TextClassifier    a trained, versioned model: predict(texts), predict_one(text)
train(...)        fit one from labelled texts, corrections, weakly labelled texts, unlabelled texts and
                  the official taxonomy
save / load       one .npz file per model (NumPy arrays + JSON metadata, read with allow_pickle=False)
macro_scores      macro F1 and accuracy the same way everywhere (command, bench, tests)
holdout_run       the reported protocol: train on the fixed training split, score the held-out 30%
cross_validate    repeated stratified 5-fold over all labelled messages

The method (docs/intelligence-classifier.md has the measurements):
1. Features. Character 1–3-grams of the normalised text, hashed into 2^20 columns, sublinear tf ×
   idf (idf from every training and unlabelled text; a column seen in fewer than 2 texts is dropped),
   L2-normalised. Beside them 2 × 15 taxonomy-lexicon features: for each first-level class of the
   official taxonomy, log(1 + the number of distinct lexicon terms of that class) in the whole text
   and in its head (the title). The lexicon is every level-2 and level-3 name and its parts (split at
   和/与/及/、 and by jieba's built-in dictionary), kept only when one first-level class owns it.
2. Training data. Labelled texts (weight 1), corrections people made in the product (weight 2) and
   replied messages labelled by the department their official reply names (weight 1, see
   corpus.weak_label). Unlabelled texts inform the idf only: self-training on them was measured and
   did not help (see the docs).
3. Model. A linear SVM (LinearSVC, C=1, balanced class weights).
4. Calibration. Decision scores → softmax(score / T). T is fitted on out-of-fold scores of the
   labelled and corrected texts (stratified 5-fold, the weak texts always in training), minimising
   the negative log-likelihood; the same out-of-fold predictions give summary["internal_cv"].

jieba is not on the prediction path (it costs more than 1 ms a message and added nothing measurable).
"""

import hashlib
import json
import math
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from gridgov.core.clock import now
from gridgov.intelligence.corpus import Message, SharedCorpus, holdout_split, without_near_duplicates
from gridgov.intelligence.text import normalise, plain_words

FORMAT = "gridgov-text-classifier/1"
N_FEATURES = 2**20
NGRAM_RANGE = (1, 3)
MIN_DF = 2
SVM_C = 1.0
CORRECTION_WEIGHT = 2.0
WEAK_WEIGHT = 1.0
CALIBRATION_FOLDS = 5
HEAD_CHARS = 40
TITLE_SEPARATOR = " 。 "  # text.message_text puts it between title and body
_HEAD_END = re.compile(r"[。!?;]")
_NAME_PARTS = re.compile(r"[和与及、]")
_OTHER = "其他"


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # calibrated probability of label, 0..1
    ranked: tuple[tuple[str, float], ...]  # every class with its probability, best first


def head(text: str) -> str:
    """The title of a normalised message text: the part before text.message_text's separator, or else
    its first sentence (at most 40 characters)."""
    if TITLE_SEPARATOR in text:
        return text.split(TITLE_SEPARATOR, 1)[0]
    match = _HEAD_END.search(text)
    return (text[: match.start()] if match else text)[:HEAD_CHARS]


def build_lexicon(taxonomy: Sequence[tuple[str, str, str]]) -> tuple[tuple[str, ...], dict[str, int]]:
    """(first-level groups, term → group index) from (level1, level2, level3) rows: every level-2 and
    level-3 name with its parts, kept when exactly one first-level class owns it."""
    groups = tuple(sorted({normalise(level1) for level1, _, _ in taxonomy if normalise(level1)}))
    owners: dict[str, set[str]] = {}
    for level1, level2, level3 in taxonomy:
        for name in (normalise(level2), normalise(level3)):
            if not name or name == _OTHER:
                continue
            parts = {name}
            parts.update(part for part in _NAME_PARTS.split(name) if len(part) >= 2)
            parts.update(part for part in plain_words(name) if len(part) >= 2)
            for part in parts:
                owners.setdefault(part, set()).add(normalise(level1))
    terms = {term: groups.index(next(iter(owned))) for term, owned in owners.items() if len(owned) == 1}
    return groups, dict(sorted(terms.items()))


class _Lexicon:
    """Counts the distinct terms of each group in a text: a scan with a two-character index."""

    def __init__(self, terms: dict[str, int], n_groups: int) -> None:
        self.n_groups = n_groups
        self.index: dict[str, list[tuple[str, int]]] = {}
        for term, group in terms.items():
            if len(term) >= 2:
                self.index.setdefault(term[:2], []).append((term, group))

    def counts(self, text: str) -> list[int]:
        found: set[tuple[str, int]] = set()
        index = self.index
        for position in range(len(text) - 1):
            bucket = index.get(text[position : position + 2])
            if bucket:
                for term, group in bucket:
                    if text.startswith(term, position):
                        found.add((term, group))
        counts = [0] * self.n_groups
        for _, group in found:
            counts[group] += 1
        return counts

    def dense(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.counts(text) + self.counts(head(text)) for text in texts]
        return np.log1p(np.asarray(rows, dtype=np.float32).reshape(len(texts), 2 * self.n_groups))

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(self.dense(texts))


_MIX_1 = np.uint64(0x9E3779B97F4A7C15)
_MIX_2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_3 = np.uint64(0x94D049BB133111EB)
_SHIFT = np.uint64(64 - int(math.log2(N_FEATURES)))


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads any 64-bit value over the column range (wrapping arithmetic)."""
    values = (values ^ (values >> np.uint64(30))) * _MIX_2
    values = (values ^ (values >> np.uint64(27))) * _MIX_3
    return values ^ (values >> np.uint64(31))


def _ngram_columns(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct columns, counts) of the character 1–3-grams of one text, hashed with NumPy."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if points.size == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    parts = []
    key = np.zeros_like(points)
    for n in range(NGRAM_RANGE[0], NGRAM_RANGE[1] + 1):
        if points.size < n:
            break
        # key of the n-gram starting at i, built from the (n-1)-gram key: order and length both count
        key = _mix(key[: points.size - n + 1] * _MIX_1 + points[n - 1 :] + np.uint64(n))
        parts.append(key)
    columns, counts = np.unique((np.concatenate(parts) >> _SHIFT).astype(np.int32), return_counts=True)
    return columns, counts.astype(np.float32)


def _term_counts(normalised: Sequence[str]) -> sp.csr_matrix:
    """Sublinear tf (1 + log count) of the hashed character n-grams, one row per text."""
    indptr = [0]
    all_columns, all_counts = [], []
    for text in normalised:
        columns, counts = _ngram_columns(text)
        all_columns.append(columns)
        all_counts.append(counts)
        indptr.append(indptr[-1] + columns.size)
    data = 1.0 + np.log(np.concatenate(all_counts)) if all_counts else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix(
        (
            data.astype(np.float32),
            np.concatenate(all_columns) if all_columns else np.zeros(0, dtype=np.int32),
            np.array(indptr, dtype=np.int64),
        ),
        shape=(len(normalised), N_FEATURES),
    )


def _weighted(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """tf × idf, rows L2-normalised (in place: counts is consumed)."""
    counts.data *= idf[counts.indices]
    return normalize(counts, norm="l2", copy=False)


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class TextClassifier:
    """A trained model. Build with train() or load(); predict() is thread-safe (read-only arrays)."""

    version: str
    labels: tuple[str, ...]
    trained_at: str
    summary: dict[str, Any]
    idf: np.ndarray  # (N_FEATURES,) float32, 0 for dropped columns
    weights: sp.csr_matrix  # (N_FEATURES + 2 * groups, classes) float32
    intercept: np.ndarray  # (classes,)
    temperature: float
    groups: tuple[str, ...]
    terms: dict[str, int]
    _lexicon: _Lexicon = field(init=False, repr=False)
    _char_weights: np.ndarray = field(init=False, repr=False)
    _lexicon_weights: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lexicon = _Lexicon(self.terms, len(self.groups))
        dense = self.weights.toarray()
        self._char_weights, self._lexicon_weights = dense[:N_FEATURES], dense[N_FEATURES:]

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        normalised = [normalise(text) for text in texts]
        chars = _weighted(_term_counts(normalised), self.idf)
        return sp.hstack([chars, self._lexicon.features(normalised)], format="csr")

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw decision scores, (texts, classes)."""
        normalised = [normalise(text) for text in texts]
        chars = np.zeros((len(normalised), len(self.labels)), dtype=np.float64)
        for row, text in enumerate(normalised):  # the features() arithmetic, one text at a time in NumPy
            columns, counts = _ngram_columns(text)
            values = (1.0 + np.log(counts)) * self.idf[columns]
            length = float(np.sqrt(values @ values))
            if length > 0:
                chars[row] = (values / length) @ self._char_weights[columns]
        lexical = self._lexicon.dense(normalised)
        return chars + lexical @ self._lexicon_weights + self.intercept

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self.scores(texts), self.temperature)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        predictions = []
        for row in self.probabilities(texts):
            order = np.argsort(-row, kind="stable")
            ranked = tuple((self.labels[i], float(row[i])) for i in order)
            predictions.append(Prediction(label=ranked[0][0], confidence=ranked[0][1], ranked=ranked))
        return predictions

    def predict_one(self, text: str) -> Prediction:
        return self.predict([text])[0]


def macro_scores(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """(macro F1 over the classes present in gold or predicted, accuracy)."""
    return (
        float(f1_score(gold, predicted, average="macro", zero_division=0)),
        float(accuracy_score(gold, predicted)),
    )


def _fit_svm(features: sp.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int) -> LinearSVC:
    return LinearSVC(C=SVM_C, class_weight="balanced", max_iter=5000, random_state=seed).fit(
        features, y, sample_weight=weight
    )


def _fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    def nll(log_t: float) -> float:
        probabilities = _softmax(scores, math.exp(log_t))
        return float(-np.mean(np.log(probabilities[np.arange(len(y_index)), y_index] + 1e-12)))

    best = minimize_scalar(nll, bounds=(-5.0, 3.0), method="bounded")
    return float(math.exp(best.x))


def _data_digest(parts: dict[str, Any]) -> str:
    digest = hashlib.sha1()
    digest.update(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def train(
    labelled: Sequence[tuple[str, str]],
    unlabelled: Sequence[str] = (),
    *,
    weak: Sequence[tuple[str, str]] = (),
    corrections: Sequence[tuple[str, str]] = (),
    taxonomy: Sequence[tuple[str, str, str]] = (),
    seed: int = 0,
    trained_at: datetime | None = None,
) -> TextClassifier:
    """Fit a classifier. `labelled` and `corrections` are (text, class) decided by people; `weak` are
    (text, class) guessed from replies (only their classes that people also used are kept);
    `unlabelled` texts inform the idf; `taxonomy` rows (level1, level2, level3) give the lexicon."""
    labelled = [(text, label) for text, label in labelled if label]
    corrections = [(text, label) for text, label in corrections if label]
    labels = tuple(sorted({label for _, label in labelled} | {label for _, label in corrections}))
    if len(labels) < 2:
        raise ValueError("Training needs labelled texts of at least two classes.")
    weak = [(text, label) for text, label in weak if label in labels]
    moment = trained_at or now()

    groups, terms = build_lexicon(taxonomy)
    lexicon = _Lexicon(terms, len(groups))
    gold_texts = [normalise(text) for text, _ in labelled] + [normalise(text) for text, _ in corrections]
    weak_texts = [normalise(text) for text, _ in weak]
    train_texts = gold_texts + weak_texts
    label_index = {label: i for i, label in enumerate(labels)}
    y = np.array([label_index[label] for _, label in labelled + corrections + weak])
    weight = np.concatenate(
        [
            np.ones(len(labelled)),
            np.full(len(corrections), CORRECTION_WEIGHT),
            np.full(len(weak), WEAK_WEIGHT),
        ]
    )

    counts = _term_counts(train_texts)
    document_frequency = np.bincount(counts.indices, minlength=N_FEATURES)
    n_documents = len(train_texts)
    batch = 2000
    for start in range(0, len(unlabelled), batch):
        extra = _term_counts([normalise(text) for text in unlabelled[start : start + batch]])
        document_frequency += np.bincount(extra.indices, minlength=N_FEATURES)
        n_documents += extra.shape[0]
    idf = (np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0).astype(np.float32)
    idf[document_frequency < MIN_DF] = 0.0
    features = sp.hstack([_weighted(counts, idf), lexicon.features(train_texts)], format="csr")
    features.eliminate_zeros()
    # Fit on the columns some training text uses (a third of the hashed space): same model, faster.
    active = np.unique(features.indices)
    features = features[:, active]

    # Out-of-fold scores of the texts people labelled: calibration and an internal estimate.
    n_gold = len(gold_texts)
    gold_y = y[:n_gold]
    # A class with fewer texts than folds is simply missing from some folds (its score there: very low).
    folds = min(CALIBRATION_FOLDS, int(np.bincount(gold_y, minlength=len(labels)).max()))
    temperature = 1.0
    internal: dict[str, Any] = {}
    if folds >= 2:
        out_of_fold = np.zeros((n_gold, len(labels)))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
            splits = list(splitter.split(np.zeros(n_gold), gold_y))
        for fit_rows, held_rows in splits:
            rows = np.concatenate([fit_rows, np.arange(n_gold, len(y))])
            svm = _fit_svm(features[rows], y[rows], weight[rows], seed)
            out_of_fold[held_rows] = _align(svm, features[held_rows], len(labels))
        temperature = _fit_temperature(out_of_fold, gold_y)
        predicted = out_of_fold.argmax(axis=1)
        f1, accuracy = macro_scores([labels[i] for i in gold_y], [labels[i] for i in predicted])
        internal = {"folds": folds, "macro_f1": round(f1, 4), "accuracy": round(accuracy, 4), "n": n_gold}

    svm = _fit_svm(features, y, weight, seed)
    compact = np.zeros((len(labels), len(active)), dtype=np.float32)
    intercept = np.zeros(len(labels))
    if len(svm.classes_) == 2:  # LinearSVC keeps one row for two classes: class 1 is positive
        compact[svm.classes_[1]], compact[svm.classes_[0]] = svm.coef_[0], -svm.coef_[0]
        intercept[svm.classes_[1]], intercept[svm.classes_[0]] = svm.intercept_[0], -svm.intercept_[0]
    else:
        compact[svm.classes_] = svm.coef_
        intercept[svm.classes_] = svm.intercept_
    coef = np.zeros((len(labels), N_FEATURES + 2 * len(groups)), dtype=np.float32)
    coef[:, active] = compact
    weights = sp.csr_matrix(coef.T)
    weights.eliminate_zeros()

    digest = _data_digest(
        {
            "format": FORMAT,
            "labelled": sorted(labelled),
            "corrections": sorted(corrections),
            "weak": sorted(weak),
            "unlabelled": hashlib.sha1("\n".join(unlabelled).encode("utf-8")).hexdigest(),
            "taxonomy": sorted(taxonomy),
            "seed": seed,
        }
    )
    summary: dict[str, Any] = {
        "labelled": len(labelled),
        "corrections": len(corrections),
        "weak": len(weak),
        "self_trained": 0,
        "unlabelled": len(unlabelled),
        "lexicon_terms": len(terms),
        "per_class": {label: int((y == i).sum()) for i, label in enumerate(labels)},
        "temperature": round(temperature, 4),
        "internal_cv": internal,
        "data_sha1": digest,
    }
    return TextClassifier(
        version=f"{moment:%Y%m%d-%H%M}-{digest[:6]}",
        labels=labels,
        trained_at=moment.isoformat(),
        summary=summary,
        idf=idf,
        weights=weights.astype(np.float32),
        intercept=intercept,
        temperature=temperature,
        groups=groups,
        terms=terms,
    )


def _align(svm: LinearSVC, features: sp.csr_matrix, n_labels: int) -> np.ndarray:
    """Decision scores in the full label order, even when a fold lacked a class (then: very low)."""
    raw = svm.decision_function(features)
    if raw.ndim == 1:
        raw = np.column_stack([-raw, raw])
    scores = np.full((features.shape[0], n_labels), -10.0)
    scores[:, svm.classes_] = raw
    return scores


def save(model: TextClassifier, path: Path) -> None:
    """Write the model to `path` (a .npz file: arrays + JSON metadata, no pickled objects), atomically."""
    meta = {
        "format": FORMAT,
        "version": model.version,
        "labels": list(model.labels),
        "trained_at": model.trained_at,
        "summary": model.summary,
        "temperature": model.temperature,
        "groups": list(model.groups),
        "terms": model.terms,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
            idf=model.idf,
            weights_data=model.weights.data,
            weights_indices=model.weights.indices,
            weights_indptr=model.weights.indptr,
            weights_shape=np.array(model.weights.shape, dtype=np.int64),
            intercept=model.intercept,
        )
    partial.replace(path)


class ModelFileError(ValueError):
    """The file is not a classifier this code wrote."""


def load(path: Path) -> TextClassifier:
    """Read a model written by save(). NumPy reads it with allow_pickle=False: loading runs no code."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ModelFileError(f"{path} is not a {FORMAT} file.")
            weights = sp.csr_matrix(
                (archive["weights_data"], archive["weights_indices"], archive["weights_indptr"]),
                shape=tuple(archive["weights_shape"]),
            )
            idf, intercept = archive["idf"], archive["intercept"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{path} is not a readable classifier file: {exc}") from exc
    return TextClassifier(
        version=meta["version"],
        labels=tuple(meta["labels"]),
        trained_at=meta["trained_at"],
        summary=meta["summary"],
        idf=idf,
        weights=weights,
        intercept=intercept,
        temperature=float(meta["temperature"]),
        groups=tuple(meta["groups"]),
        terms={term: int(group) for term, group in meta["terms"].items()},
    )


# --- The evaluation protocol (docs/intelligence-classifier.md) ---------------------------------------


@dataclass(frozen=True)
class Evaluation:
    gold: list[str]
    predicted: list[str]
    confidence: list[float]
    macro_f1: float
    accuracy: float

    @property
    def n(self) -> int:
        return len(self.gold)


def evaluate(model: TextClassifier, messages: Sequence[Message]) -> Evaluation:
    predictions = model.predict([message.text for message in messages])
    gold = [message.label for message in messages]
    predicted = [prediction.label for prediction in predictions]
    f1, accuracy = macro_scores(gold, predicted)
    return Evaluation(gold, predicted, [p.confidence for p in predictions], f1, accuracy)


def train_without(
    shared: SharedCorpus,
    training: Sequence[Message],
    test: Sequence[Message],
    *,
    seed: int = 0,
    use_unlabelled: bool = True,
) -> TextClassifier:
    """A model from `training` plus the weak and unlabelled pools less every near-duplicate of a test
    message: the test messages influence nothing, not even the idf."""
    unlabelled = without_near_duplicates(shared.unlabelled, test) if use_unlabelled else []
    weak = without_near_duplicates(shared.weak, test) if use_unlabelled else []
    return train(
        [(message.text, message.label) for message in training],
        [message.text for message in unlabelled],
        weak=[(message.text, message.label) for message in weak],
        taxonomy=shared.taxonomy,
        seed=seed,
    )


def holdout_run(
    shared: SharedCorpus, *, seed: int = 0, use_unlabelled: bool = True
) -> tuple[TextClassifier, Evaluation]:
    """Train on the fixed training split of labelled.csv (corpus.holdout_split), score the held-out part."""
    training, held_out = holdout_split(shared.labelled)
    model = train_without(shared, training, held_out, seed=seed, use_unlabelled=use_unlabelled)
    evaluation = evaluate(model, held_out)
    model.summary["held_out"] = {
        "rule": "corpus.holdout_split",
        "macro_f1": round(evaluation.macro_f1, 4),
        "accuracy": round(evaluation.accuracy, 4),
        "n": evaluation.n,
    }
    return model, evaluation


def cross_validate(
    shared: SharedCorpus, *, repeats: int = 3, folds: int = 5, seed: int = 0, use_unlabelled: bool = True
) -> list[Evaluation]:
    """Repeated stratified k-fold over all labelled messages, each fold purged from the pools."""
    labels = [message.label for message in shared.labelled]
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    results = []
    for fit_rows, test_rows in splitter.split(np.zeros(len(labels)), labels):
        training = [shared.labelled[i] for i in fit_rows]
        test = [shared.labelled[i] for i in test_rows]
        model = train_without(shared, training, test, seed=seed, use_unlabelled=use_unlabelled)
        results.append(evaluate(model, test))
    return results
