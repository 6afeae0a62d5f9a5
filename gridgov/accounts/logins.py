"""Failed password logins: after 10 failures within 15 minutes a login name is locked for 15 minutes.

The lock is per login name, not per address: it slows guessing one account's password; it
cannot stop one guess per name over many names, and anyone can lock a name for 15 minutes by
failing on purpose (the owner can still sign in with an SMS code). The failure counts are the
record (not audited one by one); a lock is audited.
"""

from datetime import datetime, timedelta

from django.db import transaction

from gridgov.accounts.models import LoginThrottle
from gridgov.accounts.queries import login_digest
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now

MAX_FAILED_LOGINS = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


def record_failed_login(login_name: str) -> datetime | None:
    """Count one failed password login for `login_name`; returns the end of the lock it starts, if any."""
    digest = login_digest(login_name)
    with transaction.atomic():
        moment = now()
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(
            login_digest=digest, defaults={"first_failure_at": moment}
        )
        lock_over = row.locked_until is not None and row.locked_until <= moment
        if lock_over or row.first_failure_at <= moment - FAILURE_WINDOW:
            row.failures, row.first_failure_at, row.locked_until = 0, moment, None
        row.failures += 1
        locked = row.failures >= MAX_FAILED_LOGINS and row.locked_until is None
        if locked:
            row.locked_until = moment + LOCK_DURATION
            record_audit_event(
                action="lock_login",
                subject_type="accounts.loginthrottle",
                subject_id=str(row.pk),
                actor_label="login",
                data={"failures": row.failures, "locked_until": row.locked_until.isoformat()},
            )
        row.save()
    return row.locked_until if locked else None


def clear_failed_logins(login_name: str) -> None:
    """A successful login forgets the name's earlier failures."""
    with transaction.atomic():
        LoginThrottle.objects.filter(login_digest=login_digest(login_name)).delete()
