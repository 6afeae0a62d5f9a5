"""Fixtures of the classifier tests: a tiny synthetic message set and a model folder under tmp_path."""

import csv
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridgov.intelligence import store

# Three classes with words of their own, plus words every class uses: a learnable, not trivial set.
CLASS_WORDS = {
    "城乡建设": [
        "小区物业",
        "违章建筑",
        "路灯不亮",
        "垃圾清运",
        "房屋拆迁",
        "燃气管道",
        "下水道堵塞",
        "电梯维修",
    ],
    "教育文体": [
        "学校招生",
        "老师补课",
        "学生学位",
        "幼儿园收费",
        "学籍转学",
        "体育场馆",
        "教师工资",
        "校车接送",
    ],
    "卫生计生": [
        "医院挂号",
        "医生态度",
        "药品价格",
        "疫苗接种",
        "计生办罚款",
        "卫生院设备",
        "食品安全",
        "独生子女",
    ],
}
SHARED_WORDS = ["请问", "领导", "问题", "希望", "尽快", "解决", "反映", "a市", "a1区", "多次"]
TAXONOMY = [
    ("城乡建设", "城市建设和市政管理", "物业服务"),
    ("城乡建设", "住房保障与房地产", "房屋拆迁"),
    ("教育文体", "考试招生", "招生录取"),
    ("教育文体", "教师队伍和待遇", "工资福利"),
    ("卫生计生", "医政监管", "医疗机构管理"),
    ("卫生计生", "人口计生", "计生执法"),
    ("政法", "治安", "其他"),
]


def synthetic_message(label: str, rng: random.Random) -> tuple[str, str]:
    """(title, body) of one made-up message of the class."""
    own = rng.sample(CLASS_WORDS[label], 3)
    shared = rng.sample(SHARED_WORDS, 4)
    title = f"{shared[0]}{own[0]}{shared[1]}"
    body = "，".join([own[1], shared[2], own[2], shared[3]]) + "。"
    return title, body


def synthetic_set(per_class: int, seed: int) -> list[tuple[str, str, str]]:
    """(title, body, label) rows, `per_class` of each class."""
    rng = random.Random(seed)
    return [(*synthetic_message(label, rng), label) for label in CLASS_WORDS for _ in range(per_class)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def tiny_labelled() -> list[tuple[str, str]]:
    """(text, label) pairs for train(): 12 per class."""
    from gridgov.intelligence.text import message_text

    return [(message_text(title, body), label) for title, body, label in synthetic_set(12, seed=1)]


@pytest.fixture
def tiny_taxonomy() -> list[tuple[str, str, str]]:
    return list(TAXONOMY)


@pytest.fixture
def model_dir(settings, tmp_path: Path) -> Iterator[Path]:
    """GRIDGOV_MODEL_DIR in tmp_path, and no model cached from another test."""
    folder = tmp_path / "models"
    settings.GRIDGOV_MODEL_DIR = folder
    store.forget_cached_model()
    yield folder
    store.forget_cached_model()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A gov-messages folder with the five files, made up: 10 labelled per class, replies naming
    departments, unlabelled and hot-issue messages."""
    folder = tmp_path / "gov-messages"
    folder.mkdir()
    rows = synthetic_set(10, seed=2)
    write_csv(
        folder / "labelled.csv",
        ["message_id", "user", "title", "created_at", "body", "label"],
        [
            [str(1000 + i), "u", title, "2019-01-01 00:00:00", body, label]
            for i, (title, body, label) in enumerate(rows)
        ],
    )
    extra = synthetic_set(4, seed=3)
    write_csv(
        folder / "unlabelled.csv",
        ["message_id", "user", "title", "created_at", "body"],
        [
            [str(2000 + i), "u", title, "2019-01-01 00:00:00", body]
            for i, (title, body, _) in enumerate(extra)
        ],
    )
    write_csv(
        folder / "hot-issues.csv",
        ["message_id", "user", "title", "created_at", "body", "against", "likes"],
        [
            [str(3000 + i), "u", title, "2019-01-01 00:00:00", body, "0", "0"]
            for i, (title, body, _) in enumerate(extra)
        ],
    )
    department = {"城乡建设": "市住建局", "教育文体": "市教育局", "卫生计生": "市卫健委"}
    replied = synthetic_set(3, seed=4)
    write_csv(
        folder / "replies.csv",
        ["message_id", "user", "title", "created_at", "body", "reply", "replied_at"],
        [
            [
                str(4000 + i),
                "u",
                title,
                "2019-01-01",
                body,
                f"您好！已转{department[label]}调查处理。",
                "2019-01-09",
            ]
            for i, (title, body, label) in enumerate(replied)
        ],
    )
    write_csv(folder / "taxonomy.csv", ["level1", "level2", "level3"], [list(row) for row in TAXONOMY])
    return folder
