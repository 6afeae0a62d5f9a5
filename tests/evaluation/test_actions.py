"""Scoring schemes: weights are data, validated, audited, with exactly one default."""

from fractions import Fraction

import pytest

from gridgov.core.models import AuditEvent
from gridgov.evaluation.actions import save_scoring_scheme
from gridgov.evaluation.errors import ScoringSchemeInvalid
from gridgov.evaluation.indicators import Indicator
from gridgov.evaluation.models import ScoringScheme
from gridgov.evaluation.queries import current_scheme


def test_the_migration_seeds_the_default_scheme(db: None) -> None:
    scheme = current_scheme()
    assert scheme.name == "默认考核方案"
    assert scheme.weights == {
        Indicator.ON_TIME_CLOSURE_RATE: Fraction(40),
        Indicator.REWORK_RATE: Fraction(20),
        Indicator.SATISFACTION_RATE: Fraction(40),
    }
    assert scheme.min_volume == 10


def test_a_new_default_replaces_the_old_one_and_is_audited(db: None) -> None:
    saved = save_scoring_scheme(
        name="金华式",
        weights={"on_time_closure_rate": 50, "closure_rate": 20, "rework_rate": 30},
        min_volume=20,
        is_default=True,
        actor_label="tests",
    )
    assert list(ScoringScheme.objects.filter(is_default=True)) == [saved]
    scheme = current_scheme()
    assert (scheme.name, scheme.min_volume, scheme.weights[Indicator.CLOSURE_RATE]) == (
        "金华式",
        20,
        Fraction(20),
    )
    audit = AuditEvent.objects.get(action="save_scoring_scheme")
    assert audit.data["weights"] == {"on_time_closure_rate": 50, "closure_rate": 20, "rework_rate": 30}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"weights": {"speed": 10}}, "weights"),
        ({"weights": {"rework_rate": 0}}, "weights"),
        ({"min_volume": -1}, "min_volume"),
        ({"name": " "}, "name"),
    ],
)
def test_an_invalid_scheme_changes_nothing(db: None, fields: dict[str, object], problem: str) -> None:
    before = (ScoringScheme.objects.count(), AuditEvent.objects.count())
    arguments: dict[str, object] = {"name": "x", "weights": {"closure_rate": 1}, "min_volume": 5, **fields}
    with pytest.raises(ScoringSchemeInvalid) as raised:
        save_scoring_scheme(**arguments, is_default=True, actor_label="tests")  # type: ignore[arg-type]
    assert problem in raised.value.details
    assert (ScoringScheme.objects.count(), AuditEvent.objects.count()) == before
    assert current_scheme().name == "默认考核方案"


def test_without_a_default_the_documented_fallback_applies(db: None) -> None:
    ScoringScheme.objects.all().delete()
    scheme = current_scheme()
    assert (scheme.name, scheme.min_volume) == ("fallback", 10)
    assert scheme.weights[Indicator.SATISFACTION_RATE] == Fraction(40)
