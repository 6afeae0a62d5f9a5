"""Handlers for this domain's deadline kinds, registered with the sweeper at start-up.

Each kind has a one-row handler and a batch handler (the same action on several cases at once,
docs/time-limits.md); the one-row handler is the batch of one.
"""

from collections.abc import Sequence

from gridgov.cases import actions
from gridgov.deadlines.actions import register_deadline_handler
from gridgov.deadlines.models import Deadline


def _step(deadline: Deadline) -> tuple[int, str]:
    return int(deadline.subject_id), str(deadline.data.get("step", "handle"))


def _task(deadline: Deadline) -> tuple[int, int]:
    return int(deadline.subject_id), int(deadline.data["task"])


def on_warning(deadline: Deadline) -> str:
    case_id, step = _step(deadline)
    return actions.warn_case(case_id, step=step)


def on_warnings(deadlines: Sequence[Deadline]) -> list[str]:
    return actions.warn_cases([_step(d) for d in deadlines])


def on_overdue(deadline: Deadline) -> str:
    return actions.mark_overdue(int(deadline.subject_id))


def on_overdues(deadlines: Sequence[Deadline]) -> list[str]:
    return actions.mark_overdue_cases([int(d.subject_id) for d in deadlines])


def on_sign_overdue(deadline: Deadline) -> str:
    return actions.sign_overdue(*_task(deadline))


def on_sign_overdues(deadlines: Sequence[Deadline]) -> list[str]:
    return actions.sign_overdue_tasks([_task(d) for d in deadlines])


def on_supervision_due(deadline: Deadline) -> str:
    return actions.supervision_missed(int(deadline.subject_id))


def on_supervisions_due(deadlines: Sequence[Deadline]) -> list[str]:
    return actions.supervision_missed_cases([int(d.subject_id) for d in deadlines])


def register_case_deadline_handlers() -> None:
    register_deadline_handler(actions.WARN, on_warning, batch=on_warnings)
    register_deadline_handler(actions.OVERDUE, on_overdue, batch=on_overdues)
    register_deadline_handler(actions.SIGN_OVERDUE, on_sign_overdue, batch=on_sign_overdues)
    register_deadline_handler(actions.SUPERVISION_DUE, on_supervision_due, batch=on_supervisions_due)
