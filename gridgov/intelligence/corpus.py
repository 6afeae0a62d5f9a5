"""Reading the message data the classifier learns from (pure: Path arguments, no Django, no settings).

Message                 one citizen message: id, title, body and, when known, its first-level class
read_labelled(path)     labelled.csv (message_id, title, body, label)
read_messages(path)     unlabelled.csv, hot-issues.csv or replies.csv as unlabelled messages
read_replies(path)      replies.csv as (message, official reply)
read_taxonomy(path)     taxonomy.csv as (level1, level2, level3) rows
read_evaluation(path)   any CSV with title, body, label (other columns ignored)
weak_label(reply)       the first-level class of the department a reply names, or None
weak_labels(replies)    (message, class) for every reply that names one class clearly
holdout_split(msgs)     the fixed, documented held-out rule: 30% of each class by SHA-1 of the id
near_key(message)       what "the same message" means for leakage: first 60 body characters, no spaces
without_near_duplicates(pool, of)   the pool less every message that is (nearly) one of `of`
load_shared(folder)     everything in shared/data/gov-messages at once (SharedCorpus)

The department → class map (DEPARTMENT_CLASSES) follows the official taxonomy: a reply counts for a
class when the class's handling bodies are named in it clearly more often than any other class's
(at least twice as often as the runner-up); replies naming none, or two classes about equally,
give no weak label. Public-security, civil-affairs, land and similar departments belong to first-level
classes outside the seven, so they are not in the map.
"""

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gridgov.intelligence.text import message_text, normalise

LABELS: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
)

# First-level class ← the bodies that handle it, as official replies name them (regular expressions).
DEPARTMENT_CLASSES: dict[str, str] = {
    "城乡建设": (
        r"住建局|住房和城乡建设|城乡建设局|城管局|城市管理|行政执法局|规划局|规划分局|住房保障|房产局|公积金|"
        r"市政局|环卫|建设局|住建委|规建局|城管执法|住建部门|城管部门|物业|自来水公司|燃气公司|供电公司|房屋征收"
    ),
    "环境保护": r"环保局|环境保护局|生态环境局|环保部门|环境监察|生态环境部门|环境监测",
    "交通运输": r"交通运输局|交通局|交警|交通警察|公交公司|运管|交通运输部门|公路局|公路管理|出租车|客运",
    "教育文体": r"教育局|教育体育局|教体局|体育局|文化局|文体局|文广新局|教育部门|教育行政部门|学区|学校",
    "劳动和社会保障": (
        r"人社局|人力资源和社会保障|人力资源社会保障|社保局|社保中心|社保处|医保局|医保中心|"
        r"医疗保险(?:管理)?(?:服务)?中心|劳动监察|劳动保障|社会保险|社保部门|人社部门|养老保险"
    ),
    "商贸旅游": (
        r"商务局|旅游局|市场监管局|市场监督管理|工商|质监局|质量技术监督|物价局|旅游发展委|文旅|文化旅游|"
        r"景区管理|价格监督"
    ),
    "卫生计生": (
        r"卫健委|卫生健康|卫计局|卫计委|卫生计生|卫生局|食品药品监督|食药监|疾控|卫生和计划生育|计生|医院|卫生院"
    ),
}
_DEPARTMENT_PATTERNS = {label: re.compile(pattern) for label, pattern in DEPARTMENT_CLASSES.items()}

HOLDOUT_FRACTION = 0.3
NEAR_KEY_CHARS = 60
_NO_SPACE = re.compile(r"\s+")


class CorpusError(ValueError):
    """A data file is missing or lacks a column it needs; the message names the file and the column."""


@dataclass(frozen=True)
class Message:
    message_id: str
    title: str
    body: str
    label: str = ""

    @property
    def text(self) -> str:
        return message_text(self.title, self.body)


def _rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise CorpusError(f"{path} does not exist.")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in required if name not in columns]
        if missing:
            raise CorpusError(
                f"{path} lacks the column(s) {', '.join(missing)} (it has: {', '.join(columns) or 'none'})."
            )
        reader.fieldnames = columns
        return [{key: (value or "") for key, value in row.items() if key is not None} for row in reader]


def _message(row: dict[str, str], index: int, label: str = "") -> Message:
    return Message(
        message_id=row.get("message_id", "").strip() or f"row-{index}",
        title=row.get("title", ""),
        body=row.get("body", ""),
        label=label,
    )


def read_labelled(path: Path) -> list[Message]:
    return [
        _message(row, index, row["label"].strip())
        for index, row in enumerate(_rows(path, ("title", "body", "label")))
    ]


def read_evaluation(path: Path) -> list[Message]:
    """A CSV with at least title, body and label; rows with an empty label are an error."""
    messages = read_labelled(path)
    empty = [index + 2 for index, message in enumerate(messages) if not message.label]
    if empty:
        raise CorpusError(f"{path}: empty label on line(s) {', '.join(map(str, empty[:10]))}.")
    return messages


def read_messages(path: Path) -> list[Message]:
    return [_message(row, index) for index, row in enumerate(_rows(path, ("title", "body")))]


def read_replies(path: Path) -> list[tuple[Message, str]]:
    return [
        (_message(row, index), row["reply"])
        for index, row in enumerate(_rows(path, ("title", "body", "reply")))
    ]


def read_taxonomy(path: Path) -> list[tuple[str, str, str]]:
    return [
        (row["level1"].strip(), row["level2"].strip(), row["level3"].strip())
        for row in _rows(path, ("level1", "level2", "level3"))
    ]


def weak_label(reply: str) -> str | None:
    """The class whose handling bodies the reply names clearly most often, or None."""
    reply = normalise(reply)
    counts = Counter({label: len(pattern.findall(reply)) for label, pattern in _DEPARTMENT_PATTERNS.items()})
    (best, best_count), (_, second_count) = counts.most_common(2)
    if best_count == 0 or second_count * 2 > best_count:
        return None
    return best


def weak_labels(replies: Iterable[tuple[Message, str]]) -> list[Message]:
    """The replied messages whose reply gives a weak label, with that label."""
    labelled = []
    for message, reply in replies:
        label = weak_label(reply)
        if label is not None:
            labelled.append(Message(message.message_id, message.title, message.body, label))
    return labelled


def _digest(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


def holdout_split(
    messages: Sequence[Message], fraction: float = HOLDOUT_FRACTION
) -> tuple[list[Message], list[Message]]:
    """(training, held-out). Within each class, messages are ordered by the SHA-1 of their message_id
    (hex) and the first round(fraction × n) are held out: fixed, seedless, independent of file order
    and of any library's random generator. On labelled.csv: 89 of 295 held out."""
    held: set[int] = set()
    for label in sorted({message.label for message in messages}):
        members = [index for index, message in enumerate(messages) if message.label == label]
        members.sort(key=lambda index: _digest(messages[index].message_id))
        held.update(members[: round(fraction * len(members))])
    training = [message for index, message in enumerate(messages) if index not in held]
    held_out = [message for index, message in enumerate(messages) if index in held]
    return training, held_out


def near_key(message: Message) -> str:
    """First 60 characters of the normalised body with all whitespace removed."""
    return _NO_SPACE.sub("", normalise(message.body))[:NEAR_KEY_CHARS]


def without_near_duplicates(pool: Sequence[Message], of: Sequence[Message]) -> list[Message]:
    """The pool less every message with the same near key or the same normalised title as one of `of`
    (the 23 labelled bodies repeated in hot-issues.csv and 6 in unlabelled.csv are caught so)."""
    keys = {near_key(message) for message in of}
    keys.discard("")
    titles = {normalise(message.title) for message in of}
    titles.discard("")
    return [
        message
        for message in pool
        if near_key(message) not in keys and normalise(message.title) not in titles
    ]


@dataclass(frozen=True)
class SharedCorpus:
    labelled: list[Message]
    unlabelled: list[Message]  # unlabelled.csv + hot-issues.csv + replies.csv, in that order
    weak: list[Message]  # replied messages labelled by the department their reply names
    taxonomy: list[tuple[str, str, str]]


def load_shared(folder: Path) -> SharedCorpus:
    """Every file of shared/data/gov-messages; CorpusError names the first missing file or column."""
    replies = read_replies(folder / "replies.csv")
    return SharedCorpus(
        labelled=read_labelled(folder / "labelled.csv"),
        unlabelled=read_messages(folder / "unlabelled.csv")
        + read_messages(folder / "hot-issues.csv")
        + [message for message, _ in replies],
        weak=weak_labels(replies),
        taxonomy=read_taxonomy(folder / "taxonomy.csv"),
    )
