from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from gridgov.core.audit import record_audit_event
from gridgov.deadlines.actions import register_deadline_handler, unregister_deadline_handler
from gridgov.deadlines.models import Deadline

OK_KIND = "tests.remind"
FAILING_KIND = "tests.explode"
SUBJECT = "tests.thing"


@dataclass
class Calls:
    """Every row a test handler was called with, by id, in call order."""

    ok: list[int] = field(default_factory=list)
    failing: list[int] = field(default_factory=list)


@pytest.fixture
def handlers() -> Iterator[Calls]:
    """Two handlers that each write an audit line: one returns an outcome, the other then raises."""
    calls = Calls()

    def remind(deadline: Deadline) -> str:
        calls.ok.append(deadline.pk)
        record_audit_event(
            action="remind", subject_type=deadline.subject_type, subject_id=deadline.subject_id
        )
        return f"reminded {deadline.subject_id}"

    def explode(deadline: Deadline) -> str:
        calls.failing.append(deadline.pk)
        record_audit_event(
            action="explode", subject_type=deadline.subject_type, subject_id=deadline.subject_id
        )
        raise RuntimeError("boom")

    register_deadline_handler(OK_KIND, remind)
    register_deadline_handler(FAILING_KIND, explode)
    yield calls
    unregister_deadline_handler(OK_KIND)
    unregister_deadline_handler(FAILING_KIND)
