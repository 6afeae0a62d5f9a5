"""Attribute answers (attribute[code]=value) against the service definition: table-driven."""

from datetime import UTC, datetime

import pytest

from gridgov.open311.attributes import ATTRIBUTES, Answers, parse_answers


@pytest.mark.parametrize(
    ("raw", "urgent", "values", "problems"),
    [
        ({}, False, {}, []),
        ({"urgent": ["yes"]}, True, {"urgent": "yes"}, []),
        ({"urgent": ["no"]}, False, {"urgent": "no"}, []),
        ({"urgent": [""]}, False, {}, []),  # empty is absent
        ({"urgent": ["maybe"]}, False, {}, ["attribute[urgent]: one of yes, no"]),
        ({"urgent": ["yes", "no"]}, False, {}, ["attribute[urgent]: takes one value"]),
        ({"landmark": [" 河坊街 12 号路灯 "]}, False, {"landmark": "河坊街 12 号路灯"}, []),
        ({"landmark": ["x" * 101]}, False, {}, ["attribute[landmark]: at most 100 characters"]),
        (
            {"observed_at": ["2026-11-22T08:30:00+08:00"]},
            False,
            {"observed_at": "2026-11-22T08:30:00+08:00"},
            [],
        ),
        (
            {"observed_at": ["yesterday"]},
            False,
            {},
            ["attribute[observed_at]: a W3C datetime such as 2026-11-22T08:30:00+08:00"],
        ),
        ({"colour": ["red"]}, False, {}, ["attribute[colour]: no such attribute for this service"]),
    ],
)
def test_answers(
    raw: dict[str, list[str]], urgent: bool, values: dict[str, str], problems: list[str]
) -> None:
    answers = parse_answers(raw, ATTRIBUTES)
    assert (answers.is_urgent, answers.values, answers.problems) == (urgent, values, problems)


def test_description_lines_name_the_landmark_and_the_time_noticed() -> None:
    answers = parse_answers({"landmark": ["路灯 12 号"], "observed_at": ["2026-11-22T00:30:00Z"]}, ATTRIBUTES)
    assert answers.observed_at == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    assert answers.description_lines() == ["landmark: 路灯 12 号", "noticed at: 2026-11-22T08:30:00+08:00"]
    assert Answers().description_lines() == []


def test_the_attributes_are_ordered_and_list_attributes_have_values() -> None:
    assert [(a.code, a.datatype, a.order, a.required) for a in ATTRIBUTES] == [
        ("urgent", "singlevaluelist", 1, False),
        ("landmark", "string", 2, False),
        ("observed_at", "datetime", 3, False),
    ]
    assert [(v.key, str(v.name)) for v in ATTRIBUTES[0].values] == [("yes", "yes"), ("no", "no")]
