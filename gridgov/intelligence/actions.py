"""Writes of the intelligence domain: the examples the classifier learns from in the product."""

from typing import Any

from gridgov.core.audit import record_audit_event
from gridgov.intelligence.models import ExampleSource, LabelledExample


def record_labelled_example(
    *,
    text: str,
    label: str,
    suggestion: dict[str, Any] | None,
    case_id: int | None,
    case_number: str = "",
    actor: Any = None,
) -> LabelledExample | None:
    """Keep a person's class decision as a labelled example (主动学习 active learning).

    Called inside the caller's transaction (a case being registered or dispatched), so the example
    exists exactly when the decision does. A decision equal to the case's previous one adds nothing.
    """
    text = text.strip()
    if not text or not label:
        return None
    previous = LabelledExample.objects.filter(case_id=case_id).order_by("-id").first() if case_id else None
    if previous is not None and previous.label == label:
        return None
    suggested = str((suggestion or {}).get("label", ""))
    if not suggested:
        source = ExampleSource.UNSUGGESTED
    elif suggested == label:
        source = ExampleSource.CONFIRMATION
    else:
        source = ExampleSource.CORRECTION
    example = LabelledExample.objects.create(
        text=text,
        label=label,
        source=source,
        suggested_label=suggested,
        model_version=str((suggestion or {}).get("model_version", "")),
        case_id=case_id,
        case_number=case_number,
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    record_audit_event(
        action="intelligence.example_recorded",
        subject_type="labelled_example",
        subject_id=str(example.pk),
        actor=actor,
        data={"label": label, "source": source, "suggested": suggested, "case": case_number},
    )
    return example
