"""manage.py hot_issues: reads a CSV, prints the hottest issues (or JSON), names what is wrong."""

import csv
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FIELDS = ["message_id", "user", "title", "created_at", "body", "against", "likes"]
MIXER = "丽景花园小区旁边新建了一个混凝土搅拌站，晚上机器轰鸣，噪音很大，粉尘飘进家里，请环保部门查处。"
ROWS = [
    ["1", "u1", "A2区丽景花园附近搅拌站噪音扰民", "2024-05-01 09:00:00", MIXER, "0", "3"],
    ["2", "u2", "请尽快搬走丽景花园的搅拌站", "2024-05-03 10:00:00", MIXER, "0", "1"],  # a repost
    [
        "3",
        "u3",
        "丽景花园旁搅拌站粉尘污染严重",
        "2024-05-04 11:00:00",
        "我是丽景花园的业主，小区附近的搅拌站每天粉尘满天飞，搅拌车进出噪音扰民。",
        "0",
        "0",
    ],
    [
        "4",
        "u4",
        "请问引进人才买房补助",
        "2024-05-02 08:00:00",
        "应届本科生买房能拿多少补助？",
        "0",
        "0",
    ],
]


def write_csv(path: Path, fields: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerows(rows)
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("hot_issues", *args, stdout=out)
    return out.getvalue()


HEADLINE = re.compile(
    r"^#(?P<rank>\d+)  heat (?P<heat>[\d.]+)  messages (?P<messages>\d+)  reporters (?P<reporters>\d+)  "
    r"likes (?P<likes>\d+)  (?P<first>\d{4}-\d\d-\d\d) → (?P<last>\d{4}-\d\d-\d\d)  (?P<label>.+)$"
)


def test_prints_each_issue_with_its_counts_and_titles(tmp_path: Path) -> None:
    output = run("--input", str(write_csv(tmp_path / "m.csv", FIELDS, ROWS)), "--top", "5")
    lines = output.splitlines()
    headline = HEADLINE.match(lines[0])
    assert headline is not None, output
    assert headline["rank"] == "1"
    assert (headline["messages"], headline["reporters"], headline["likes"]) == ("3", "3", "4")
    assert (headline["first"], headline["last"]) == ("2024-05-01", "2024-05-04")
    assert "丽景花园" in headline["label"]
    assert [line.split()[0] for line in lines[1:4]] == ["1", "2", "3"]  # member ids, by time
    assert sum(1 for line in lines if HEADLINE.match(line)) == 1  # the lone message is not an issue


def test_json_output_is_machine_readable(tmp_path: Path) -> None:
    issues = json.loads(run("--input", str(write_csv(tmp_path / "m.csv", FIELDS, ROWS)), "--json"))
    assert len(issues) == 1
    assert issues[0]["message_ids"] == ["1", "2", "3"]
    assert issues[0]["titles"][0] == ROWS[0][2]
    assert issues[0]["messages"] == 3 and issues[0]["reporters"] == 3
    assert issues[0]["first_at"].startswith("2024-05-01")


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    fields = ["title", "created_at", "body"]
    rows = [[row[2], row[3], row[4]] for row in ROWS]
    issues = json.loads(run("--input", str(write_csv(tmp_path / "m.csv", fields, rows)), "--json"))
    assert issues[0]["message_ids"] == ["1", "2", "3"]  # row numbers stand in for ids
    assert issues[0]["likes"] == 0


def test_window_and_now_select_the_messages(tmp_path: Path) -> None:
    path = str(write_csv(tmp_path / "m.csv", FIELDS, ROWS))
    window = ("--now", "2024-05-03T12:00", "--window-days", "1.5", "--min-messages", "1")
    issues = json.loads(run("--input", path, "--json", *window))
    assert sorted(issue["message_ids"] for issue in issues) == [["2"], ["4"]]  # 1 is too old, 3 too new
    issues = json.loads(run("--input", path, "--json", "--now", "2024-05-03T12:00"))
    assert issues[0]["message_ids"] == ["1", "2"]  # message 3 comes after now


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ["message_id", "title", "body"], [["1", "t", "b"]])
    with pytest.raises(CommandError, match="created_at"):
        run("--input", str(path))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [(3, "yesterday", "line 2, created_at"), (6, "many", "line 2, likes")],
)
def test_a_bad_value_is_named_with_its_line(tmp_path: Path, column: int, value: str, message: str) -> None:
    rows = [list(row) for row in ROWS]
    rows[0][column] = value
    with pytest.raises(CommandError, match=message):
        run("--input", str(write_csv(tmp_path / "m.csv", FIELDS, rows)))


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        run("--input", str(tmp_path / "absent.csv"))


def test_the_real_file_gives_five_issues_whose_counts_match_the_file(shared_data: Path) -> None:
    path = shared_data / "gov-messages" / "hot-issues.csv"
    output = run("--input", str(path), "--top", "5")
    headlines = [match for line in output.splitlines() if (match := HEADLINE.match(line))]
    assert [h["rank"] for h in headlines] == ["1", "2", "3", "4", "5"]
    heats = [float(h["heat"]) for h in headlines]
    assert heats == sorted(heats, reverse=True)

    issues = json.loads(run("--input", str(path), "--top", "5", "--json"))
    with path.open(encoding="utf-8") as handle:
        rows = {row["message_id"]: row for row in csv.DictReader(handle)}
    for headline, issue in zip(headlines, issues, strict=True):
        members = [rows[message_id] for message_id in issue["message_ids"]]
        assert int(headline["messages"]) == len(members) >= 2
        assert int(headline["reporters"]) == len({row["user"] for row in members})
        assert int(headline["likes"]) == sum(int(row["likes"]) for row in members)
        assert headline["first"] == min(row["created_at"] for row in members)[:10]
        # Every repost of a member is a member too.
        bodies = {row["body"] for row in members}
        assert all(
            row["message_id"] in issue["message_ids"] for row in rows.values() if row["body"] in bodies
        )
