"""Text similarity for the duplicate check (gridgov.intelligence.similarity, pure)."""

import csv
import random
import time
from pathlib import Path

import numpy as np
import pytest

from gridgov.intelligence.similarity import DUPLICATE_THRESHOLD, bigram_vectors, similarity_scores

PAIRS = Path(__file__).parent / "data" / "hot_issue_pairs.csv"

SMOKE = "A5区星光之城小区一楼开了家烧烤店，夜宵摊油烟直排，半夜噪音也很大，请相关部门处理。"
SMOKE_AGAIN = "星光之城小区楼下的烧烤摊油烟直排，夜宵摊吵到凌晨，请城管处理。"
OTHERS = [
    "A2区金桂新城旁边要建搅拌站，灰尘和噪声很大，居民没法休息。",
    "A7县青山镇银杏村的村道哪年能硬化到家门口？自来水也还没接通。",
    "请问A市引进人才买房补助怎么申请，多久到账。",
    "A市地铁2号线体育馆站只开了一个口子，建议多开几个出入口。",
]


def test_same_wording_scores_one_and_unrelated_texts_near_zero() -> None:
    scores = similarity_scores(SMOKE, [SMOKE, *OTHERS])
    assert scores[0] == pytest.approx(1.0)
    assert all(0.0 <= score < 0.15 for score in scores[1:])


def test_a_rewording_of_the_same_problem_scores_above_the_threshold_and_above_unrelated_ones() -> None:
    scores = similarity_scores(SMOKE, [SMOKE_AGAIN, *OTHERS])
    assert scores[0] > DUPLICATE_THRESHOLD
    assert scores[0] > max(scores[1:])


def test_scores_keep_the_order_of_the_others_and_handle_empty_input() -> None:
    forward = similarity_scores(SMOKE, [SMOKE_AGAIN, OTHERS[0]])
    backward = similarity_scores(SMOKE, [OTHERS[0], SMOKE_AGAIN])
    assert forward == pytest.approx(backward[::-1])
    assert similarity_scores(SMOKE, []) == []
    assert similarity_scores("", [SMOKE, ""]) == [0.0, 0.0]  # no bigram: similar to nothing


def test_full_width_and_case_do_not_change_latin_letters_and_digits() -> None:
    assert similarity_scores("58车贷案件ABC", ["58车贷案件abc"])[0] == pytest.approx(1.0)


def test_vectors_are_unit_rows_and_rare_bigrams_weigh_more() -> None:
    vectors = bigram_vectors(["小区搅拌站", "小区电梯", "小区停水"])
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    assert norms == pytest.approx([1.0, 1.0, 1.0])
    first = vectors[0].toarray().ravel()
    # 小区 is in every text, 搅拌 in one: the first weighs less in row 0.
    assert first[first > 0].min() < first[first > 0].max()
    assert bigram_vectors(["a b"]).nnz == 0  # spaces and punctuation end bigram runs


def test_one_against_two_hundred_takes_a_few_milliseconds() -> None:
    rng = random.Random(1)
    alphabet = "搅拌站噪音油烟小区业主物业停车电梯漏水道路施工扰民围挡学校医院公交地铁补贴拆迁"
    others = ["".join(rng.choice(alphabet) for _ in range(300)) for _ in range(200)]
    similarity_scores(SMOKE, others)  # warm up numpy
    started = time.perf_counter()
    for _ in range(5):
        similarity_scores(SMOKE, others)
    assert (time.perf_counter() - started) / 5 < 0.05  # measured ~5 ms; generous for a shared CI machine


def test_duplicate_threshold_on_the_hand_labelled_pairs(shared_data: Path) -> None:
    """The measured precision and recall of DUPLICATE_THRESHOLD hold (docs/intelligence-hot-issues.md:
    0.90 and 0.50 on 132 pairs); floors a little below."""
    with (shared_data / "gov-messages" / "hot-issues.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["message_id"]: row["title"] + "\n" + row["body"] for row in rows}
    with PAIRS.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    rng = random.Random(5)
    texts = list(by_id.values())
    same = above = both = 0
    for pair in pairs:
        background = rng.sample(texts, 199)  # like the cases check: ~200 open cases around
        score = similarity_scores(by_id[pair["message_a"]], [by_id[pair["message_b"]], *background])[0]
        truth = pair["same_issue"] == "1"
        same += truth
        above += score >= DUPLICATE_THRESHOLD
        both += truth and score >= DUPLICATE_THRESHOLD
    precision, recall = both / above, both / same
    assert precision >= 0.85
    assert recall >= 0.42
