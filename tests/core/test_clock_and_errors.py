from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from gridgov.core.clock import now, to_local
from gridgov.core.errors import DomainError, NotFound


def test_now_is_aware_utc_and_follows_the_moved_clock() -> None:
    with time_machine.travel(datetime(2026, 11, 22, 1, 30, tzinfo=UTC), tick=False):
        moment = now()
        assert moment == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
        offset = moment.utcoffset()
        assert offset is not None and offset.total_seconds() == 0
        assert to_local(moment).strftime("%Y-%m-%d %H:%M %z") == "2026-11-22 09:30 +0800"


def test_to_local_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2026, 1, 1))


@translation.override("en")
def test_domain_errors_carry_code_status_and_details() -> None:
    error = NotFound(details={"code": "1"})
    assert error.http_status == 404
    assert error.as_dict() == {"code": "not_found", "message": "Not found.", "details": {"code": "1"}}
    custom = DomainError("boom", code="custom")
    assert custom.as_dict() == {"code": "custom", "message": "boom"}
