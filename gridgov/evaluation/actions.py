"""The one write of this domain: a scoring scheme. Indicators are read, never written."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.evaluation.errors import ScoringSchemeInvalid
from gridgov.evaluation.indicators import WeightsInvalid, parse_weights
from gridgov.evaluation.models import ScoringScheme

MAX_MIN_VOLUME = 100_000


def save_scoring_scheme(
    *,
    name: str,
    weights: Mapping[str, Any],
    min_volume: int,
    is_default: bool = False,
    note: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> ScoringScheme:
    """Create or change a scoring scheme by name; making it the default unmarks the previous one."""
    name = name.strip()
    problems: dict[str, Any] = {}
    if not name or len(name) > 100:
        problems["name"] = "1 to 100 characters"
    try:
        parse_weights(weights)
    except WeightsInvalid as error:
        problems["weights"] = str(error)
    if (
        isinstance(min_volume, bool)
        or not isinstance(min_volume, int)
        or not 0 <= min_volume <= MAX_MIN_VOLUME
    ):
        problems["min_volume"] = f"a whole number from 0 to {MAX_MIN_VOLUME}"
    if problems:
        raise ScoringSchemeInvalid(details=problems)
    with transaction.atomic():
        if is_default:
            ScoringScheme.objects.select_for_update().filter(is_default=True).exclude(name=name).update(
                is_default=False
            )
        scheme, created = ScoringScheme.objects.update_or_create(
            name=name,
            defaults={
                "weights": dict(weights),
                "min_volume": min_volume,
                "is_default": is_default,
                "note": note,
                "updated_at": now(),
            },
        )
        record_audit_event(
            action="save_scoring_scheme",
            subject_type="evaluation.scoring_scheme",
            subject_id=str(scheme.pk),
            actor=actor,
            actor_label=actor_label,
            data={
                "name": name,
                "created": created,
                "weights": dict(weights),
                "min_volume": min_volume,
                "is_default": is_default,
            },
        )
    return scheme
