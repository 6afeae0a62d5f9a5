"""The district's residents for the query benchmarks: accounts in bulk, and a few who report.

Not a benchmark itself (no NAME): bench/cockpit_queries.py uses it, so that the district of issue 6
holds its 300,000 residents beside its 1,000,000 cases.

- `add_residents(count)` writes `count` accounts as `accounts.phones.sign_up_resident` leaves them
  (a user with an unusable password, a verified mobile number stored encrypted, masked and as its
  keyed digest, and the resident membership), in bulk: no SMS codes and no audit lines, which no
  measured query reads. Their numbers are 166 followed by eight digits, which nothing else uses.
- `residents_report(count)` has `count` of them (seeded) report REPORTS_EACH cases through the real
  `report_case`: two on the web with their account, one through the 12345 hotline by an operator
  with their number as the contact, so "my cases" finds cases both ways (account and number).
- `my_cases_ms(ids)` times the resident's "my cases" page query (web/pages/resident.py: every case
  reported with the account or the verified number, newest first), one call per resident, median;
  `plain_my_cases_ms(ids)` is its baseline: one plain SQL read of the resident's cases by account.
"""

import random
import statistics
import time
from typing import Any

from bench.harness import say

PREFIX = "bench-resident-"
REPORTS_EACH = 3
CHUNK = 5_000
SEED = 8


def phone_of(number: int) -> str:
    return f"166{number:08d}"


def add_residents(count: int) -> float:
    """`count` resident accounts (see the module docstring); returns the seconds it took."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from gridgov.accounts.models import Membership, Role, User
    from gridgov.accounts.phone_numbers import phone_digest
    from gridgov.core.clock import now
    from gridgov.core.crypto import encrypt_text, mask_contact

    started = time.perf_counter()
    moment = now()
    for first in range(0, count, CHUNK):
        users = []
        for number in range(first, min(count, first + CHUNK)):
            phone = phone_of(number)
            users.append(
                User(
                    username=f"{PREFIX}{number:07d}",
                    password=make_password(None),
                    display_name=f"居民{number}",
                    phone_encrypted=encrypt_text(phone),
                    phone_masked=mask_contact(phone),
                    phone_digest=phone_digest(phone),
                    phone_verified_at=moment,
                    date_joined=moment,
                )
            )
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=1_000)
            ids = User.objects.filter(username__in=[user.username for user in users]).values_list(
                "pk", flat=True
            )
            Membership.objects.bulk_create(
                [Membership(user_id=pk, role=Role.RESIDENT) for pk in ids], batch_size=1_000
            )
    seconds = time.perf_counter() - started
    say(f"residents: {count:,} accounts in {seconds:.0f} s")
    return seconds


def residents_report(count: int, operator: Any) -> list[int]:
    """`count` residents (seeded) each report REPORTS_EACH cases through report_case; their ids."""
    from gridgov.accounts.models import User
    from gridgov.areas.models import Area
    from gridgov.cases.actions import Report, report_case
    from gridgov.core.area_codes import Level

    rng = random.Random(SEED)
    residents = list(
        User.objects.filter(username__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(residents, min(count, len(residents))))
    grids = list(Area.objects.filter(level=Level.GRID).order_by("code").values_list("code", flat=True))
    for pk in chosen:
        resident = User.objects.get(pk=pk)
        phone = phone_of(int(resident.username.removeprefix(PREFIX)))
        for number in range(REPORTS_EACH):
            by_phone = number == REPORTS_EACH - 1
            report_case(
                Report(
                    source="hotline" if by_phone else "web",
                    title="楼道灯坏了" if by_phone else "小区门口井盖松动",
                    description="二号楼东侧，晚上看不清路",
                    area_code=rng.choice(grids),
                    reporter_name=resident.display_name,
                    reporter_contact=phone,
                    reporter_is_actor=not by_phone,
                ),
                actor=operator if by_phone else resident,
            )
    return chosen


def my_cases_ms(resident_ids: list[int]) -> float:
    """Median ms of the "my cases" query, one call per resident (their account read beforehand)."""
    from gridgov.accounts.models import User
    from gridgov.cases.queries import cases_reported_by

    residents = list(User.objects.filter(pk__in=resident_ids))
    durations = []
    for resident in residents:
        started = time.perf_counter()
        found = list(cases_reported_by(resident).select_related("area").order_by("-reported_at", "-id"))
        durations.append((time.perf_counter() - started) * 1000)
        if len(found) != REPORTS_EACH:
            raise RuntimeError(f"resident {resident.pk} has {len(found)} cases, not {REPORTS_EACH}")
    return statistics.median(durations)


def plain_my_cases_ms(resident_ids: list[int]) -> float:
    """Median ms of one plain SQL read of a resident's cases by account (the baseline)."""
    from django.db import connection

    from gridgov.cases.models import Case

    quote = connection.ops.quote_name
    sql = f"SELECT * FROM {quote(Case._meta.db_table)} WHERE {quote('reporter_id')} = %s"
    durations = []
    for pk in resident_ids:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            cursor.fetchall()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def remove_residents() -> None:
    """Delete the residents' accounts and memberships (their cases are deleted before)."""
    from gridgov.accounts.models import Membership, User

    for query in (
        Membership.objects.filter(user__username__startswith=PREFIX),
        User.objects.filter(username__startswith=PREFIX),
    ):
        query._raw_delete(query.db)
