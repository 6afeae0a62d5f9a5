"""bench/residents.py: the district's residents, and the "my cases" query the benchmark times."""

from typing import Any

import pytest

from bench import residents
from bench.cockpit_queries import clean_up
from gridgov.accounts.models import Membership, Role, User
from gridgov.cases.queries import cases_reported_by
from tests.cases.conftest import world  # noqa: F401 (the fixture)


@pytest.mark.django_db
def test_residents_report_and_find_their_cases_by_account_and_by_number(world: Any) -> None:  # noqa: F811
    users_before = User.objects.count()
    residents.add_residents(40)
    made = User.objects.filter(username__startswith=residents.PREFIX)
    assert made.count() == 40 == User.objects.count() - users_before
    assert Membership.objects.filter(user__in=made, role=Role.RESIDENT, area=None).count() == 40
    assert made.exclude(phone_digest="").values("phone_digest").distinct().count() == 40
    assert not any(user.has_usable_password() for user in made)

    chosen = residents.residents_report(5, world.users["clerk"])
    assert len(chosen) == 5
    for pk in chosen:
        resident = User.objects.get(pk=pk)
        mine = cases_reported_by(resident)
        assert mine.count() == residents.REPORTS_EACH
        # Two with the account, one through the hotline found by the verified number only.
        assert mine.filter(reporter_id=pk).count() == residents.REPORTS_EACH - 1
        assert mine.filter(reporter_id=None, source="hotline").count() == 1
    assert residents.my_cases_ms(chosen) > 0
    assert residents.plain_my_cases_ms(chosen) > 0

    clean_up()  # the cases, as the benchmark deletes them first
    residents.remove_residents()
    assert not User.objects.filter(username__startswith=residents.PREFIX).exists()
    assert User.objects.count() == users_before
