"""Writing audit events. Called by actions inside their transaction."""

from typing import Any

from gridgov.core.models import AuditEvent


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
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        actor=user,
        actor_label=actor_label or (user.get_username() if user else ""),
        data=data or {},
    )
