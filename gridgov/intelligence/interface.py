"""The small interface the cases domain (and the pages) call; nothing else imports the ML modules.

Everything here degrades to "no suggestion" when no model has been trained yet, so a fresh
installation takes reports as before and the dispatcher chooses by hand.
"""

import multiprocessing
import os
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from gridgov.intelligence import hot_issues, similarity, store


@dataclass(frozen=True)
class Suggestion:
    """What the classifier proposes for one message (the model version makes it reproducible)."""

    model_version: str
    label: str  # first-level message class, e.g. 城乡建设
    confidence: float  # calibrated probability of `label`
    ranked: tuple[tuple[str, float], ...]  # every class, best first

    def top(self, count: int = 3) -> tuple[tuple[str, float], ...]:
        return self.ranked[:count]

    def as_data(self, count: int = 3) -> dict[str, object]:
        """The JSON kept on the case and in its event."""
        return {
            "model_version": self.model_version,
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "top": [[label, round(probability, 4)] for label, probability in self.top(count)],
        }


def suggest_class(text: str) -> Suggestion | None:
    """The current model's class for a message text, or None when no model is trained."""
    model = store.current_model()
    if model is None or not text.strip():
        return None
    prediction = model.predict_one(text)
    return Suggestion(model.version, prediction.label, prediction.confidence, prediction.ranked)


def suggest_classes(texts: Sequence[str]) -> list[Suggestion | None]:
    """suggest_class for many texts at once: one model lookup and one vectorised prediction
    (about 0.23 ms a message in batches of 1,000 against 0.3 ms one at a time)."""
    model = store.current_model()
    result: list[Suggestion | None] = [None] * len(texts)
    wanted = [position for position, text in enumerate(texts) if text.strip()]
    if model is None or not wanted:
        return result
    for position, prediction in zip(wanted, model.predict([texts[p] for p in wanted]), strict=True):
        result[position] = Suggestion(
            model.version, prediction.label, prediction.confidence, prediction.ranked
        )
    return result


def suggest_classes_ahead(
    batches: Sequence[Sequence[str]],
) -> Generator[list[Suggestion | None], None, None]:
    """suggest_classes of each batch of texts, in order, computed in a second process while the
    caller works on the batches already yielded.

    The bulk intake classifies its reports, then files them; the classifier is Python and NumPy on
    one core, about a quarter of the intake's time. Here a forked process (it inherits the loaded
    model and never touches the database) classifies the batches one after the other and this
    process takes each as it is ready, so on two cores classifying overlaps filing, and the caller
    waits only for the first batch (give small batches). With one batch, one core, no model or no
    `fork`, everything runs in this process, as suggest_classes.
    """
    model = store.current_model()  # loaded before the fork: the child shares it
    if (
        model is None
        or len(batches) < 2
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for texts in batches:
            yield suggest_classes(texts)
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [pool.submit(suggest_classes, texts) for texts in batches]
        for future in futures:
            yield future.result()
    finally:
        # A caller that stops early (a batch refused) does not wait for batches it will not file.
        pool.shutdown(wait=True, cancel_futures=True)


def current_version() -> str | None:
    """The version of the model in use, None before the first training."""
    model = store.current_model()
    return model.version if model is not None else None


def department_for(label: str) -> str:
    """The name of the department responsible for a first-level class (for display)."""
    return store.department_for(label)


def text_similarity(text: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity in [0, 1] of `text` with each of `others` (same order)."""
    if not others:
        return []
    return similarity.similarity_scores(text, others)


DUPLICATE_TEXT_THRESHOLD = similarity.DUPLICATE_THRESHOLD


HotMessage = hot_issues.Message
HotIssue = hot_issues.HotIssue


def find_hot_issues(
    messages: Sequence[HotMessage], *, now: datetime, window_days: float, min_messages: int = 2
) -> list[HotIssue]:
    """Clusters of messages about the same concrete issue, hottest first (docs/intelligence-hot-issues.md)."""
    return hot_issues.find_hot_issues(messages, now=now, window_days=window_days, min_messages=min_messages)
