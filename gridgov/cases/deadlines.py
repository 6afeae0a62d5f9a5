"""Handlers for this domain's deadline kinds, registered with the sweeper at start-up."""

from gridgov.cases import actions
from gridgov.deadlines.actions import register_deadline_handler
from gridgov.deadlines.models import Deadline


def on_warning(deadline: Deadline) -> str:
    return actions.warn_case(int(deadline.subject_id), step=str(deadline.data.get("step", "handle")))


def on_overdue(deadline: Deadline) -> str:
    return actions.mark_overdue(int(deadline.subject_id))


def on_sign_overdue(deadline: Deadline) -> str:
    return actions.sign_overdue(int(deadline.subject_id), int(deadline.data["task"]))


def on_supervision_due(deadline: Deadline) -> str:
    return actions.supervision_missed(int(deadline.subject_id))


def register_case_deadline_handlers() -> None:
    register_deadline_handler(actions.WARN, on_warning)
    register_deadline_handler(actions.OVERDUE, on_overdue)
    register_deadline_handler(actions.SIGN_OVERDUE, on_sign_overdue)
    register_deadline_handler(actions.SUPERVISION_DUE, on_supervision_due)
