"""Place mentions in Chinese message text (gridgov.intelligence.places, pure)."""

import pytest

from gridgov.intelligence.places import Place, extract_places, name_key, normalise, place_key


def kinds_and_names(text: str) -> list[tuple[str, str]]:
    return [(place.kind, place.name) for place in extract_places(text)]


def test_administrative_units_roads_estates_and_buildings_in_reading_order() -> None:
    text = "我住在A市A5区劳动东路魅力之城小区3栋2单元"
    assert kinds_and_names(text) == [
        ("city", "A市"),
        ("district", "A5区"),
        ("road", "劳动东路"),
        ("estate", "魅力之城小区"),
        ("building", "3栋"),
        ("building", "2单元"),
    ]


def test_offsets_point_at_the_mention_in_the_normalised_text() -> None:
    text = "投诉：Ａ市暮云街道丽发新城附近的搅拌站"  # full-width Ａ becomes A
    normalised = normalise(text)
    for place in extract_places(text):
        assert normalised[place.start : place.start + len(place.name)] == place.name
    assert ("street", "暮云街道") in kinds_and_names(text)


def test_real_names_chain_after_a_province_or_city() -> None:
    assert kinds_and_names("浙江省杭州市上城区清波街道清波门社区第1网格") == [
        ("province", "浙江省"),
        ("city", "杭州市"),
        ("district", "上城区"),
        ("street", "清波街道"),
        ("community", "清波门社区"),
    ]


def test_villages_and_towns() -> None:
    assert kinds_and_names("A7县春华镇金鼎村七里组") == [
        ("district", "A7县"),
        ("town", "春华镇"),
        ("village", "金鼎村"),
    ]


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("投诉A市伊景园滨河苑强制捆绑车位", "伊景园滨河苑"),  # the leading verb is not part of the name
        ("A市伊景园·滨河苑", "伊景园·滨河苑"),  # one estate written in two parts
        ("广铁集团内部购买伊景园滨河苑的车位", "伊景园滨河苑"),  # cut after the verb 购买
        (
            "A市恒大御景半岛三期6栋电梯噪音很大",
            "恒大御景半岛",
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
    assert place_key("A市A5区劳动东路魅力之城小区油烟扰民") == "魅力之城"
    assert place_key("A7县开元路与东六路交叉口围挡") == "开元路"  # the first of two roads
    assert place_key("A3区西湖街道茶场村五组何时拆迁") == "茶场村"
    assert place_key("A5区的交通越来越堵") == "A5区"  # a district when nothing finer is named
    assert place_key("A市的交通越来越堵") == ""  # a city alone locates nothing


def test_name_key_makes_spellings_of_one_estate_comparable() -> None:
    assert name_key("A5区魅力之城小区") == name_key("魅力之城")
    assert name_key("伊景园·滨河苑") == name_key("伊景园滨河苑")
    assert name_key("中海国际社区三期") == "中海国际"


def test_a_place_is_a_small_frozen_value() -> None:
    place = Place("road", "劳动东路", 3)
    with pytest.raises(AttributeError):
        place.name = "x"  # type: ignore[misc]
