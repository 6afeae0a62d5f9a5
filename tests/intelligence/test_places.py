"""Place mentions in Chinese message text (gridgov.intelligence.places, pure)."""

import pytest

from gridgov.intelligence.places import Place, extract_places, name_key, normalise, place_key


def kinds_and_names(text: str) -> list[tuple[str, str]]:
    return [(place.kind, place.name) for place in extract_places(text)]


def test_administrative_units_roads_estates_and_buildings_in_reading_order() -> None:
    text = "我住在A市A5区解放东路星光之城小区3栋2单元"
    assert kinds_and_names(text) == [
        ("city", "A市"),
        ("district", "A5区"),
        ("road", "解放东路"),
        ("estate", "星光之城小区"),
        ("building", "3栋"),
        ("building", "2单元"),
    ]


def test_offsets_point_at_the_mention_in_the_normalised_text() -> None:
    text = "投诉：Ａ市东湖街道金桂新城附近的搅拌站"  # full-width Ａ becomes A
    normalised = normalise(text)
    for place in extract_places(text):
        assert normalised[place.start : place.start + len(place.name)] == place.name
    assert ("street", "东湖街道") in kinds_and_names(text)


def test_real_names_chain_after_a_province_or_city() -> None:
    assert kinds_and_names("浙江省杭州市上城区清波街道清波门社区第1网格") == [
        ("province", "浙江省"),
        ("city", "杭州市"),
        ("district", "上城区"),
        ("street", "清波街道"),
        ("community", "清波门社区"),
    ]


def test_villages_and_towns() -> None:
    assert kinds_and_names("A7县青山镇银杏村三里组") == [
        ("district", "A7县"),
        ("town", "青山镇"),
        ("village", "银杏村"),
    ]


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("投诉A市锦绣园临江苑强制捆绑车位", "锦绣园临江苑"),  # the leading verb is not part of the name
        ("A市锦绣园·临江苑", "锦绣园·临江苑"),  # one estate written in two parts
        ("某公司内部购买锦绣园临江苑的车位", "锦绣园临江苑"),  # cut after the verb 购买
        (
            "A市碧水云庭半岛二期8栋电梯噪音很大",
            "碧水云庭半岛",
        ),  # no suffix, but a phase and a building follow
    ],
)
def test_estate_names_are_cut_where_they_start(text: str, wanted: str) -> None:
    estates = [place.name for place in extract_places(text) if place.kind == "estate"]
    assert estates == [wanted]


@pytest.mark.parametrize(
    "text",
    ["这条路一直没修好", "我们小区的电梯坏了", "城乡建设要加快", "58车贷老板跑路了", "政府请管一管"],
)
def test_ordinary_words_that_end_like_places_are_not_places(text: str) -> None:
    assert [p for p in extract_places(text) if p.kind in {"road", "estate", "town", "village"}] == []


def test_place_key_is_the_most_specific_mention_without_prefix_or_suffix() -> None:
    assert place_key("A市A5区解放东路星光之城小区油烟扰民") == "星光之城"
    assert place_key("A7县新华路与南三路交叉口围挡") == "新华路"  # the first of two roads
    assert place_key("A3区长岭街道柳树村五组何时拆迁") == "柳树村"
    assert place_key("A5区的交通越来越堵") == "A5区"  # a district when nothing finer is named
    assert place_key("A市的交通越来越堵") == ""  # a city alone locates nothing


def test_name_key_makes_spellings_of_one_estate_comparable() -> None:
    assert name_key("A5区星光之城小区") == name_key("星光之城")
    assert name_key("锦绣园·临江苑") == name_key("锦绣园临江苑")
    assert name_key("中海国际社区三期") == "中海国际"


def test_a_place_is_a_small_frozen_value() -> None:
    place = Place("road", "解放东路", 3)
    with pytest.raises(AttributeError):
        place.name = "x"  # type: ignore[misc]
