"""The bundled data files on their own (no database)."""

import csv
from collections import Counter
from pathlib import Path

from gridgov.catalogue.datafiles import (
    DATA_DIR,
    MESSAGE_LEVEL1_ORDER,
    RowError,
    code_message_taxonomy,
    read_catalogue,
)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bundled_files_have_no_errors_and_the_expected_shape() -> None:
    data, errors = read_catalogue()
    assert errors == []
    assert len(data.functions) == 39
    shape = Counter((row.scheme, row.depth) for row in data.categories)
    assert shape == {
        ("event", 1): 6,
        ("event", 2): 26,
        ("component", 1): 6,
        ("component", 2): 36,
        ("message", 1): 15,
        ("message", 2): 118,
        ("message", 3): 517,
    }


def test_urban_classes_and_codes() -> None:
    data, _ = read_catalogue()
    names = {row.code: row.name for row in data.categories}
    assert [names[f"E0{i}"] for i in range(1, 7)] == [
        "市容环境",
        "宣传广告",
        "施工管理",
        "街面秩序",
        "突发事件",
        "其他事件",
    ]
    assert [names[f"C0{i}"] for i in range(1, 7)] == [
        "公用设施",
        "道路交通",
        "市容环境",
        "园林绿化",
        "房屋土地",
        "其他设施",
    ]
    assert (names["E0101"], names["E0102"], names["C0101"], names["C0113"]) == (
        "私搭乱建",
        "暴露垃圾",
        "上水井盖",
        "路灯",
    )
    assert (names["C0206"], names["C0301"], names["C0401"]) == ("交通标志牌", "公厕", "古树名木")


def test_message_taxonomy_has_15_103_390_distinct_labels() -> None:
    rows = [row for row in read(DATA_DIR / "message-taxonomy.csv")]
    by_depth: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}
    for row in rows:
        by_depth[(len(row["code"]) - 1) // 2].add(row["name"])
    assert {depth: len(labels) for depth, labels in by_depth.items()} == {1: 15, 2: 103, 3: 390}
    assert rows[0]["code"] == "M01" and rows[0]["name"] == "城乡建设"
    assert [r["name"] for r in rows if len(r["code"]) == 3] == MESSAGE_LEVEL1_ORDER


def test_message_taxonomy_matches_its_source(shared_data: Path) -> None:
    source = read(shared_data / "gov-messages" / "taxonomy.csv")
    expected = code_message_taxonomy(source, MESSAGE_LEVEL1_ORDER)
    bundled = [
        (r["code"], r["name"], r["parent_code"] or None) for r in read(DATA_DIR / "message-taxonomy.csv")
    ]
    assert bundled == expected
    # Every source row is one level-3 node.
    assert len(source) == sum(1 for code, _, _ in expected if len(code) == 7) == 517


def test_every_function_is_used_or_deliberately_spare() -> None:
    data, _ = read_catalogue()
    used = {code for row in data.categories for code in row.functions}
    assert {f.code for f in data.functions} - used == set()


def test_a_broken_file_reports_every_bad_row(data_copy: Path) -> None:
    path = data_copy / "urban-categories.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "E0101,私搭乱建,event,E01,urban-management", "E0101,私搭乱建,event,E01,no-such-office"
    )
    text = text.replace("E0102,暴露垃圾,event,E01,", "E0102,暴露垃圾,event,E02,")
    text = text.replace("C0101,上水井盖,component,C01,", "C0101,上水井盖,kiosk,C01,")
    text += "E0701,孤儿,event,E07,urban-management\nE0103,重复,event,E01,urban-management\nE0104,too,few\n"
    path.write_text(text, encoding="utf-8")
    (data_copy / "functions.csv").write_text(
        "code,name,unit_suffix\n"
        + (DATA_DIR / "functions.csv").read_text(encoding="utf-8").split("\n", 1)[1]
        + "Bad Code,坏,局\n",
        encoding="utf-8",
    )
    _, errors = read_catalogue(data_copy)
    assert errors == [
        RowError("functions.csv", 41, "function code 'Bad Code' is not a lower-case slug"),
        RowError("urban-categories.csv", 3, "unknown functions: no-such-office"),
        RowError("urban-categories.csv", 4, "parent_code must be 'E01' for code E0102"),
        RowError("urban-categories.csv", 35, "unknown scheme 'kiosk' (one of event, component, message)"),
        RowError("urban-categories.csv", 76, "parent E07 is not in the data"),
        RowError("urban-categories.csv", 77, "code E0103 appears twice"),
        RowError("urban-categories.csv", 78, "wrong number of fields"),
    ]


def test_missing_columns_and_missing_files_are_reported(data_copy: Path) -> None:
    (data_copy / "message-taxonomy.csv").unlink()
    path = data_copy / "functions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("unit_suffix", "suffix", 1), encoding="utf-8")
    data, errors = read_catalogue(data_copy)
    assert len(errors) == 1 + 74 + 1
    assert errors[:3] == [
        RowError("functions.csv", 1, "missing columns: unit_suffix"),
        RowError("urban-categories.csv", 2, "unknown functions: urban-management"),
        RowError("urban-categories.csv", 3, "unknown functions: urban-management"),
    ]
    assert errors[-1] == RowError("message-taxonomy.csv", 0, "file not found")
    assert data.functions == ()
