"""The evaluation API: the street table, the department table, the Excel file, and data scope."""

from io import BytesIO
from typing import Any
from urllib.parse import unquote

from django.test import Client
from openpyxl import load_workbook

from gridgov.accounts.models import User
from tests.evaluation.conftest import COMMUNITY_A, COMMUNITY_B, STREET, Town, local

NOVEMBER = "start=2026-11-01&end=2026-12-01"


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(user: User, path: str) -> Any:
    return client_of(user).get(f"/api/v1/evaluation{path}")


def test_the_street_table(november: Town) -> None:
    response = get(
        november.users["street_worker"],
        f"/areas/{STREET}?{NOVEMBER}&rank_by=on_time_closure_rate&min_volume=2",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "area"
    assert body["subject"] == {"kind": "area", "key": STREET, "name": "清波街道"}
    assert (body["ranked_by"], body["min_volume"], body["scheme"]) == (
        "on_time_closure_rate",
        2,
        "默认考核方案",
    )
    assert body["weights"] == {"on_time_closure_rate": 40.0, "rework_rate": 20.0, "satisfaction_rate": 40.0}
    assert body["start"] == local(11, 1, 0).isoformat()
    assert body["end"] == local(12, 1, 0).isoformat()
    a, b = body["rows"]
    assert (a["unit"]["key"], a["rank"], a["volume"], a["is_sample_too_small"]) == (COMMUNITY_A, 1, 3, False)
    assert (b["unit"]["key"], b["rank"], b["volume"], b["is_sample_too_small"]) == (
        COMMUNITY_B,
        None,
        1,
        True,
    )
    assert a["counts"]["registered"] == 4 and a["counts"]["due_for_closing"] == 3
    assert a["rates"]["on_time_closure_rate"] == 0.666667
    assert a["rates"]["rework_rate"] == 0.25
    assert a["score"] == 81.6667  # 245/3
    assert b["rates"]["satisfaction_rate"] == 0.0
    assert body["total"]["counts"]["closed"] == 4
    assert body["total"]["score"] == 66.0


def test_the_default_period_is_the_current_month(november: Town) -> None:
    import time_machine

    with time_machine.travel(local(11, 20, 12), tick=False):
        body = get(november.users["street_worker"], f"/areas/{STREET}?by=self").json()
    assert body["start"] == local(11, 1, 0).isoformat()
    assert [row["unit"]["key"] for row in body["rows"]] == [STREET]
    assert body["rows"][0]["counts"]["registered"] == 5


def test_the_department_table(november: Town) -> None:
    body = get(november.users["leader"], f"/departments?area={STREET}&{NOVEMBER}").json()
    rows = [
        (row["unit"]["name"], row["counts"]["dispatched"], row["counts"]["registered"])
        for row in body["rows"]
    ]
    # In ranking order: 城管 has a score from too few cases, 住建 no score at all.
    assert rows == [("上城区城市管理局", 4, None), ("上城区住房和城乡建设局", 1, None)]
    urban, housing = body["rows"]
    assert (urban["rank"], urban["is_sample_too_small"], housing["rank"], housing["is_sample_too_small"]) == (
        None,
        True,
        None,
        False,
    )
    assert housing["rates"]["return_rate"] == 1.0 and housing["score"] is None
    assert (urban["counts"]["closed"], urban["counts"]["closed_on_time"], urban["score"]) == (4, 3, 66.0)
    assert urban["rates"]["resolution_rate"] == 0.5
    assert body["total"] is None


def test_the_excel_file_holds_the_same_numbers(november: Town) -> None:
    response = get(november.users["street_worker"], f"/areas/{STREET}/export.xlsx?{NOVEMBER}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="evaluation-330102001000-20261101-20261201.xlsx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "清波街道-20261101-20261201.xlsx"

    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["考核评价", "指标定义"]
    sheet = workbook["考核评价"]
    assert sheet["A1"].value == "清波街道 2026-11-01 – 2026-11-30"
    header = [cell.value for cell in sheet[2]][:16]
    assert header == [
        "单位", "立案数", "派遣数", "结案数", "按期结案数", "返工数", "回退数", "结案率",
        "按期结案率", "返工率", "准确派遣率", "响应率", "解决率", "满意率", "综合得分", "排名",
    ]  # fmt: skip
    assert sheet.freeze_panes == "B3"
    a = [cell.value for cell in sheet[3]][:16]
    assert a[:7] == ["清波门社区", 4, 4, 3, 2, 1, 1]
    assert a[7:14] == [1.0, 2 / 3, 0.25, 0.75, 1.0, 1.0, 1.0]
    assert a[14] == 245 / 3
    assert a[15] == "样本不足"  # 3 cases, below the scheme's 10
    assert sheet.cell(row=3, column=9).number_format == "0.00%"
    assert sheet.cell(row=3, column=15).number_format == "0.00"
    b = [cell.value for cell in sheet[4]][:16]
    assert b[:7] == ["柳浪社区", 1, 1, 1, 1, 0, 0]
    assert b[12:16] == [0.0, 0.0, 60.0, "样本不足"]
    total = [cell.value for cell in sheet[5]][:16]
    assert total[0] == "合计：清波街道"
    assert total[1:7] == [5, 5, 4, 3, 1, 1]
    assert total[14:16] == [66.0, None]
    assert sheet.max_row == 5
    assert sheet.column_dimensions["A"].width == 24

    definitions = workbook["指标定义"]
    texts = {row[0]: row[1] for row in definitions.iter_rows(values_only=True) if row and row[0]}
    assert texts["按期结案率"] == "按期结案数 / 应结案数"
    assert texts["统计周期"] == "2026-11-01 – 2026-11-30"
    assert texts["参与排名的最少案件数"] == "10"


def test_a_community_worker_cannot_read_the_other_community_or_the_street(november: Town) -> None:
    worker = november.users["community_a"]
    assert get(worker, f"/areas/{COMMUNITY_A}?{NOVEMBER}&by=self").status_code == 200
    for path in (
        f"/areas/{COMMUNITY_B}",
        f"/areas/{STREET}",
        f"/areas/{STREET}/export.xlsx",
        f"/areas/{COMMUNITY_B}/export.xlsx",
    ):
        response = get(worker, f"{path}?{NOVEMBER}")
        assert response.status_code == 404, path
        assert response.json()["code"] == "evaluation_subject_not_found"
    assert get(worker, f"/departments?area={STREET}&{NOVEMBER}").status_code == 404
    # B's own worker sees B and nothing of A.
    other = get(november.users["community_b"], f"/areas/{COMMUNITY_B}?{NOVEMBER}&by=self").json()
    assert other["rows"][0]["counts"]["registered"] == 1


def test_a_resident_and_a_stranger_get_nothing(november: Town) -> None:
    assert get(november.users["resident"], f"/areas/{STREET}?{NOVEMBER}").status_code == 404
    assert Client().get(f"/api/v1/evaluation/areas/{STREET}?{NOVEMBER}").status_code == 401


def test_bad_parameters_are_refused(november: Town) -> None:
    worker = november.users["street_worker"]
    response = get(worker, f"/areas/{STREET}?start=2026-12-01&end=2026-11-01")
    assert (response.status_code, response.json()["code"]) == (400, "evaluation_period_invalid")
    response = get(worker, f"/areas/{STREET}?start=2026-11-01")
    assert (response.status_code, response.json()["code"]) == (400, "evaluation_period_invalid")
    response = get(worker, f"/areas/{STREET}?{NOVEMBER}&rank_by=cases")
    assert (response.status_code, response.json()["code"]) == (400, "evaluation_ranking_invalid")
    assert get(worker, f"/areas/{STREET}?{NOVEMBER}&by=parent").status_code == 422
    assert get(worker, f"/areas/{STREET}?{NOVEMBER}&min_volume=-1").status_code == 422
