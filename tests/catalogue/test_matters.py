"""The matter table (事项清单) and its time limits: loading the files, and resolving a category's rule."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.catalogue.actions import LoadReport, load_catalogue, load_matters
from gridgov.catalogue.calendar import TimeUnit
from gridgov.catalogue.errors import CatalogueDataInvalid, CategoryNotFound
from gridgov.catalogue.models import (
    CaseCategory,
    DepartmentFunction,
    HolidayDate,
    MatterResponsibility,
    MatterRule,
    TimeLimit,
)
from gridgov.catalogue.queries import DEFAULT_LIMITS, Limit, current_calendar, get_category, rule_for
from gridgov.core.models import AuditEvent

WH, WD, NH = TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS, TimeUnit.NATURAL_HOURS


def limit(amount: str, unit: TimeUnit) -> Limit:
    return Limit(Decimal(amount), unit)


def test_the_first_load_creates_the_matter_table(catalogue: LoadReport) -> None:
    assert catalogue.matters.as_dict() == {
        "rules_created": 57,
        "rules_updated": 0,
        "rules_in_files": 57,
        "limits_in_files": 114,
    }
    assert (MatterRule.objects.count(), TimeLimit.objects.count()) == (57, 114)
    event = AuditEvent.objects.get(action="load_matters")
    assert (event.actor_label, event.data["rules_created"], len(event.data["created_codes"])) == (
        "tests",
        57,
        57,
    )


def test_a_second_load_writes_nothing(catalogue: LoadReport) -> None:
    stamps = dict(MatterRule.objects.values_list("category__code", "updated_at"))
    limit_ids = set(TimeLimit.objects.values_list("pk", flat=True))
    audit_count = AuditEvent.objects.count()
    report = load_catalogue(actor_label="tests")
    assert report.matters.as_dict()["rules_created"] == report.matters.as_dict()["rules_updated"] == 0
    assert dict(MatterRule.objects.values_list("category__code", "updated_at")) == stamps
    assert set(TimeLimit.objects.values_list("pk", flat=True)) == limit_ids
    assert AuditEvent.objects.count() == audit_count


# --------------------------------------------------------------------------------- resolving rules


def test_exposed_garbage_inherits_its_level_and_sets_its_own_limits(catalogue: LoadReport) -> None:
    rule = rule_for("E0102")  # 市容环境 › 暴露垃圾
    assert (rule.category_code, rule.normal_level, rule.allows_urgent) == ("E0102", "grid", True)
    assert rule.functions_by_level == {
        "grid": [],
        "community": [],
        "street": ["urban-management"],
        "district": ["urban-management"],
    }
    assert rule.limit("handle") == limit("1", WD)
    assert rule.limit("handle", urgent=True) == limit("4", WH)
    assert rule.sources[("", "handle", False)] == "E0102"
    amount, unit = rule.limit("sign")  # nothing on the chain: the default
    assert (amount, unit) == (Decimal("2"), WH)
    assert rule.sources[("", "sign", False)] == "default"
    assert rule.limit("check") == limit("1", WD)


def test_illegal_building_goes_to_the_street_with_a_longer_limit_at_district_level(
    catalogue: LoadReport,
) -> None:
    rule = rule_for(get_category("E0101"))  # 私搭乱建
    assert rule.normal_level == "street"
    assert rule.functions_by_level["street"] == ["urban-management"]
    # In function order (position), not file order.
    assert rule.functions_by_level["district"] == ["natural-resources", "urban-management"]
    assert rule.limit("handle") == limit("15", WD)
    assert rule.limit("handle", level="street") == limit("15", WD)
    assert rule.limit("handle", level="district") == limit("20", WD)
    assert rule.limit("handle", urgent=True, level="district") == limit("4", WH)


def test_road_flooding_is_an_emergency_of_the_district(catalogue: LoadReport) -> None:
    rule = rule_for("E0503")  # 突发事件 › 道路积水
    assert (rule.normal_level, rule.allows_urgent) == ("district", True)
    assert rule.functions_by_level["district"] == ["municipal"]
    assert rule.functions_by_level["street"] == ["emergency"]  # E05's
    assert rule.limit("handle", urgent=True) == limit("4", WH)  # its own
    assert rule.limit("handle") == limit("1", WD)  # E05's
    assert rule.limit("sign", urgent=True) == limit("0.5", NH)  # E05's
    assert rule.sources[("", "sign", True)] == "E05"


def test_a_manhole_cover_is_due_in_six_natural_hours(catalogue: LoadReport) -> None:
    rule = rule_for("C0101")  # 上水井盖
    assert rule.normal_level == "district"
    assert rule.limit("handle") == limit("6", NH)
    # No duty configured on the chain: the category's responsible function at street and district.
    assert rule.functions_by_level == {
        "grid": [],
        "community": [],
        "street": ["water-utility"],
        "district": ["water-utility"],
    }


@pytest.mark.parametrize("code", ["M01", "M0102", "M010201"])
def test_citizen_messages_have_the_12345_limits(catalogue: LoadReport, code: str) -> None:
    rule = rule_for(code)
    assert rule.normal_level == "street"
    assert rule.limit("respond") == limit("1", WD)
    assert rule.limit("respond", urgent=True) == limit("2", NH)
    assert rule.limit("handle") == limit("5", WD)
    assert rule.limit("sign") == limit("1", WD)
    expected = ["housing"] if code == "M01" else ["housing", "urban-management"]  # M0102's own functions
    assert rule.functions_by_level["street"] == expected


def test_a_class_that_may_not_be_urgent_gets_the_normal_limit(catalogue: LoadReport) -> None:
    rule = rule_for("M14")  # 纪检监察
    assert (rule.normal_level, rule.allows_urgent) == ("district", False)
    assert rule.limit("respond", urgent=True) == rule.limit("respond") == limit("1", WD)


def test_no_category_and_a_category_without_rules_get_the_defaults(catalogue: LoadReport) -> None:
    rule = rule_for(None)
    assert (rule.category_code, rule.normal_level, rule.allows_urgent) == ("", "street", True)
    assert rule.functions_by_level == {"grid": [], "community": [], "street": [], "district": []}
    assert rule.limits == DEFAULT_LIMITS
    assert rule.limit("handle") == limit("5", WD)
    assert rule.limit("handle", urgent=True) == limit("4", WH)
    assert rule.limit("sign") == limit("2", WH)
    assert rule.limit("check") == limit("1", WD)
    assert set(rule.sources.values()) == {"default"}
    assert len(rule.level_limits) == 4 * 8 * 2

    MatterRule.objects.filter(category__code__startswith="E04").delete()
    street_order = rule_for("E0405")  # 黑车拉客, its rule and its parent's gone
    assert street_order.normal_level == "street"
    assert street_order.functions_by_level["district"] == ["transport"]  # the category's own function
    assert street_order.limit("handle") == limit("5", WD)


def test_unknown_codes_are_not_found(catalogue: LoadReport) -> None:
    with pytest.raises(CategoryNotFound):
        rule_for("E9999")


def test_resolving_a_rule_takes_five_queries(catalogue: LoadReport) -> None:
    category = get_category("E0102")
    with CaptureQueriesContext(connection) as queries:
        rule_for(category)
    # The chain's categories, their functions, the rules, their duties, their limits.
    assert len(queries) == 5


def test_due_at_on_the_calendar(catalogue: LoadReport) -> None:
    rule = rule_for("E0102")
    calendar = current_calendar()
    reported = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)  # Wednesday 16:00 in Shanghai, before 国庆节
    # 1 working day → 16:00 on Thursday 8 October (08:00 UTC); urgent 4 working hours → 11:00 (03:00 UTC).
    assert rule.due_at(calendar, reported, "handle") == datetime(2026, 10, 8, 8, 0, tzinfo=UTC)
    assert rule.due_at(calendar, reported, "handle", urgent=True) == datetime(2026, 10, 8, 3, 0, tzinfo=UTC)
    assert HolidayDate.objects.count() == 39


# ------------------------------------------------------------------------------ loading the files


def test_a_changed_file_updates_only_that_rule(catalogue: LoadReport, data_copy: Path) -> None:
    limits = data_copy / "time-limits.csv"
    limits.write_text(
        limits.read_text(encoding="utf-8").replace(
            "E0103,handle,,,4,working_days", "E0103,handle,,,3,working_days"
        )
        + "E01,handle,district,,3,working_days,test\n",
        encoding="utf-8",
    )
    matters = data_copy / "matters.csv"
    matters.write_text(
        matters.read_text(encoding="utf-8").replace(
            "E0106,community,,,,landscaping,landscaping", "E0106,community,,,,self,landscaping"
        ),
        encoding="utf-8",
    )
    report = load_matters(actor_label="tests", data_dir=data_copy)
    assert (report.rules_created, report.rules_updated, report.limits_in_files) == (0, 3, 115)
    assert rule_for("E0103").limit("handle") == limit("3", WD)
    assert rule_for("E0106").functions_by_level["street"] == []  # "self": the street itself
    # A level limit of the parent does not beat the child's own limit for every level …
    assert rule_for("E0102").limit("handle", level="district") == limit("1", WD)
    # … but applies to the parent itself, and to children without a handle limit of their own.
    assert rule_for("E01").limit("handle", level="district") == limit("3", WD)
    assert rule_for("E01").limit("handle", level="street") == limit("1", WD)
    event = AuditEvent.objects.filter(action="load_matters").latest("id")
    assert event.data["updated_codes"] == ["E01", "E0103", "E0106"]
    assert MatterResponsibility.objects.filter(rule__category__code="E0106", function=None).count() == 1


def test_the_files_are_the_truth_for_the_categories_they_mention(
    catalogue: LoadReport, data_copy: Path
) -> None:
    e0102 = MatterRule.objects.get(category__code="E0102")
    e0102.normal_level = "district"
    e0102.save()
    TimeLimit.objects.create(rule=e0102, step="check", amount=Decimal("3"), unit=WH)
    local = MatterRule.objects.create(category=get_category("E0601"), normal_level="community")
    report = load_catalogue(actor_label="tests")
    assert (report.matters.rules_created, report.matters.rules_updated) == (0, 1)
    assert rule_for("E0102").normal_level == "grid"
    assert not TimeLimit.objects.filter(rule=e0102, step="check").exists()
    assert MatterRule.objects.get(pk=local.pk).normal_level == "community"  # not in the files: kept


def test_bad_rows_are_all_reported_and_nothing_is_written(db: None, data_copy: Path) -> None:
    matters = data_copy / "matters.csv"
    matters.write_text(
        matters.read_text(encoding="utf-8")
        + "E9999,grid,,,,,\n"
        + "E0102,city,maybe,,,builders,\n"
        + "E01,grid,,,,,\n",
        encoding="utf-8",
    )
    limits = data_copy / "time-limits.csv"
    limits.write_text(
        limits.read_text(encoding="utf-8")
        + "E0102,repair,,,1,working_days,\n"
        + "E0102,verify,,,1.5,working_days,\n"
        + "E0102,close,,,0,working_hours,\n"
        + "E0102,check,street,,x,hours,\n"
        + "E0102,handle,,,2,working_days,\n"
        + "E0102,dispatch,,,1.005,working_hours,\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueDataInvalid) as caught:
        load_catalogue(actor_label="tests", data_dir=data_copy)
    assert caught.value.details["errors"] == [
        {"file": "matters.csv", "line": 44, "message": "category E9999 is not in the catalogue"},
        {
            "file": "matters.csv",
            "line": 45,
            "message": "normal_level 'city' is not one of grid, community, street, district",
        },
        {"file": "matters.csv", "line": 45, "message": "allows_urgent must be yes, no or empty, not 'maybe'"},
        {"file": "matters.csv", "line": 45, "message": "street: unknown functions: builders"},
        {"file": "matters.csv", "line": 46, "message": "category E01 is also on line 2"},
        {
            "file": "time-limits.csv",
            "line": 116,
            "message": "unknown step 'repair' "
            "(one of verify, register, dispatch, sign, handle, check, close, respond)",
        },
        {
            "file": "time-limits.csv",
            "line": 117,
            "message": "a limit in working days must be a whole number (write hours instead)",
        },
        {"file": "time-limits.csv", "line": 118, "message": "amount must be above 0 and at most 99999.99"},
        {
            "file": "time-limits.csv",
            "line": 119,
            "message": "unknown unit 'hours' "
            "(one of working_hours, working_days, natural_hours, natural_days)",
        },
        {"file": "time-limits.csv", "line": 119, "message": "amount 'x' is not a number"},
        {"file": "time-limits.csv", "line": 120, "message": "the same limit is also on line 6"},
        {"file": "time-limits.csv", "line": 121, "message": "amount has more than two decimals"},
    ]
    assert (
        DepartmentFunction.objects.count(),
        CaseCategory.objects.count(),
        MatterRule.objects.count(),
        HolidayDate.objects.count(),
        AuditEvent.objects.count(),
    ) == (0, 0, 0, 0, 0)


def test_load_matters_alone_needs_the_categories_loaded(db: None) -> None:
    with pytest.raises(CatalogueDataInvalid) as caught:
        load_matters(actor_label="tests")
    errors = caught.value.details["errors"]
    assert len(errors) == 57
    assert errors[0] == {"file": "matters.csv", "line": 0, "message": "category C01 is not loaded yet"}
    assert MatterRule.objects.count() == 0


# ------------------------------------------------------------------------------------------ admin


def test_the_admin_shows_a_rule_with_its_duties_and_limits(catalogue: LoadReport) -> None:
    admin_user = User.objects.create_superuser("root", password="pw-root-admin")
    client = Client()
    client.force_login(admin_user)
    rule = MatterRule.objects.get(category__code="E0101")
    page = client.get(reverse("admin:catalogue_matterrule_change", args=[rule.pk]))
    assert page.status_code == 200
    listing = client.get(reverse("admin:catalogue_matterrule_changelist") + "?q=E0101").content.decode()
    assert "handle 15" in listing and "handle@district 20" in listing and "handle! 4" in listing
    assert client.get(reverse("admin:catalogue_timelimit_changelist") + "?step=handle").status_code == 200


def test_the_admin_refuses_overlapping_working_periods(catalogue: LoadReport) -> None:
    admin_user = User.objects.create_superuser("root", password="pw-root-admin")
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:catalogue_workingperiod_add")
    assert client.post(url, {"start_time": "08:30", "end_time": "12:00"}).status_code == 302
    refused = client.post(url, {"start_time": "11:00", "end_time": "14:00"})
    assert refused.status_code == 200
    assert client.post(url, {"start_time": "13:30", "end_time": "17:30"}).status_code == 302
    calendar = current_calendar()
    assert [(p.start.isoformat(), p.end.isoformat()) for p in calendar.periods] == [
        ("08:30:00", "12:00:00"),
        ("13:30:00", "17:30:00"),
    ]
