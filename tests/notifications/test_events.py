"""Event types and the patterns endpoints subscribe with."""

import pytest

from gridgov.notifications.events import bad_event_patterns, is_event_type, pattern_matches


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("case.created", True),
        ("deadline.warning", True),
        ("case", True),
        ("case.status_changed", True),
        ("Case.created", False),
        ("case.", False),
        ("case..created", False),
        ("case.*", False),
        ("", False),
        ("a" * 101, False),
        (42, False),
    ],
)
def test_is_event_type(value: object, valid: bool) -> None:
    assert is_event_type(value) is valid


@pytest.mark.parametrize(
    ("patterns", "event_type", "matches"),
    [
        ([], "case.created", True),
        (["*"], "case.created", True),
        (["case.created"], "case.created", True),
        (["case.created"], "case.closed", False),
        (["case.*"], "case.created", True),
        (["case.*"], "cases.created", False),
        (["case.*"], "case", False),
        (["deadline.warning", "case.*"], "case.closed", True),
    ],
)
def test_pattern_matches(patterns: list[str], event_type: str, matches: bool) -> None:
    assert pattern_matches(patterns, event_type) is matches


def test_bad_event_patterns() -> None:
    assert bad_event_patterns([]) == []
    assert bad_event_patterns(["case.*", "*", "deadline.warning"]) == []
    assert bad_event_patterns(["case.*", "Case", 3]) == [
        "not an event type or family: 'Case'",
        "not an event type or family: 3",
    ]
    assert bad_event_patterns({"case": True}) == ["must be a JSON list of event types"]
