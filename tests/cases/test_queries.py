"""gridgov/cases/queries.py: a resident's own cases."""

from typing import Any

import pytest
from django.db.models import Q

from gridgov.accounts.actions import create_user
from gridgov.accounts.phone_numbers import phone_digest
from gridgov.cases.actions import Report, report_case
from gridgov.cases.models import Case
from gridgov.cases.queries import cases_for, cases_reported_by, is_reporter
from tests.cases.conftest import GRID_A, GRID_B, world  # noqa: F401 (the fixture)
from tests.sqlite_plans import sqlite_plan

PHONE = "16600001234"

# sqlite_stat1 of the cockpit benchmark's cases at 100,198 cases (quick run): most cases share a
# few reporters and contact numbers (the demo's, copied), so the averages per value are large.
BENCHMARK_CASES = {
    ("cases_case", "case_updated"): "100198 26",
    ("cases_case", "case_status_area"): "100198 9109 280",
    ("cases_case", "case_area_reported"): "100198 288 26",
    ("cases_case", "case_status_reported"): "100198 9109 26",
    ("cases_case", "case_area_status"): "100198 288 280",
    ("cases_case", "cases_case_reporter_contact_digest_22a8afc6"): "100198 4555",
    ("cases_case", "cases_case_reporter_id_7d7d0c2b"): "100198 2947",
    ("cases_case", "cases_case_area_id_040d4987"): "100198 288",
    ("cases_case", "cases_case_reported_at_e7db3137"): "100198 27",
    ("cases_case", "cases_case_status_95787cb3"): "100198 9109",
    ("cases_case", "sqlite_autoindex_cases_case_1"): "100198 1",
}


def report(actor: Any, *, contact: str = "", as_actor: bool = True, source: str = "web") -> Case:
    return report_case(
        Report(
            source=source,
            title="楼道灯坏了",
            area_code=GRID_A if as_actor else GRID_B,
            reporter_name="王女士",
            reporter_contact=contact,
            reporter_is_actor=as_actor,
        ),
        actor=actor,
    ).case


@pytest.mark.django_db
def test_a_residents_cases_are_those_of_the_account_and_of_the_verified_number(world: Any) -> None:  # noqa: F811
    from django.db import connection

    resident = create_user(username="wang", password=None, actor_label="tests")
    resident.phone_digest = phone_digest(PHONE)
    resident.save(update_fields=["phone_digest"])
    neighbour = create_user(username="li", password=None, actor_label="tests")
    clerk = world.users["clerk"]

    with_account = report(resident, contact=PHONE)
    with_account_other_number = report(resident, contact="16600009999")
    by_phone = report(clerk, contact=PHONE, as_actor=False, source="hotline")
    others = [report(neighbour, contact="16600005555"), report(clerk, contact="16600007777", as_actor=False)]

    mine = cases_reported_by(resident)
    assert set(mine) == {with_account, with_account_other_number, by_phone}
    # The same cases as the condition written out, and as is_reporter says case by case.
    written_out = Case.objects.filter(
        Q(reporter_id=resident.pk) | Q(reporter_contact_digest=resident.phone_digest)
    )
    assert set(mine) == set(written_out)
    every = [with_account, with_account_other_number, by_phone, *others]
    assert {case for case in every if is_reporter(resident, case)} == set(mine)
    # What the resident may read is what they reported (no area, no department).
    assert set(cases_for(resident)) == set(mine)
    # Without a verified number, the account's cases only.
    assert set(cases_reported_by(neighbour)) == {others[0]}

    if connection.vendor != "sqlite":
        return
    query = mine.select_related("area").order_by("-reported_at", "-id")  # the "my cases" page
    sql, params = query.query.sql_with_params()
    plan = sqlite_plan(sql, params, BENCHMARK_CASES)
    # Each half through its index; never a walk of every case in reported_at order.
    assert not any(line.startswith("SCAN cases_case") for line in plan), plan
    assert any("cases_case_reporter_id_7d7d0c2b (reporter_id=?)" in line for line in plan), plan
    assert any("reporter_contact_digest_22a8afc6 (reporter_contact_digest=?)" in line for line in plan), plan
