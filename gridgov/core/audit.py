"""Writing audit events. Called by actions inside their transaction."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gridgov.core.clock import now
from gridgov.core.inserts import insert_all
from gridgov.core.models import AuditEvent


def new_audit_event(
    *,
    action: str,
    subject_type: str,
    subject_id: str = "",
    actor: Any = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """The unsaved audit line (record_audit_event saves it; batches save many with record_audit_events)."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        actor=user,
        actor_label=actor_label or (user.get_username() if user else ""),
        data=data or {},
        occurred_at=at if at is not None else now(),
    )


def record_audit_event(
    *,
    action: str,
    subject_type: str,
    subject_id: str = "",
    actor: Any = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit line; the caller's transaction decides whether it survives."""
    event = new_audit_event(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor,
        actor_label=actor_label,
        data=data,
    )
    event.save(force_insert=True)
    return event


def record_audit_events(events: Sequence[AuditEvent]) -> None:
    """Append several audit lines at once (new_audit_event builds them), in their order."""
    insert_all(events)
