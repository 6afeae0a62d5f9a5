"""One sentence from a resident → what it is, where it is, and what is still missing (一句话办事).

    parse_sentence("东新街道王马社区3幢楼道灯坏了一周了", places=index, classify=None)
      kind       problem (报修/投诉) | service (办事/求助) | question (咨询), decided by word lists
      phrase     楼道灯坏了                 the problem or request in the resident's own words
      duration   一周
      category   M010212 (小区管理)        from KEYWORD_CATEGORIES or a catalogue name in the text
      places     东新街道, 王马社区        matched against the area names given in `places`
      premises   3幢                        building / unit / room, floor; kept as text only
      missing    ()                         or ("problem", "place"), with one question code

Rules, not a trained model: every word list is below and in docs/intelligence-sentence.md with
its measured accuracy. Buildings are not matched against a registry (there is none yet): they go
into the case's address as the resident wrote them. Pure: no Django, so it runs anywhere.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

KIND_PROBLEM = "problem"
KIND_SERVICE = "service"
KIND_QUESTION = "question"

MISSING_PROBLEM = "problem"
MISSING_PLACE = "place"
# Question codes; the Django side turns them into translated questions.
ASK_PROBLEM = "ask_problem"  # 请问具体是什么问题？
ASK_PLACE = "ask_place"  # 请问是在哪个小区或哪栋楼？
ASK_WHICH_PLACE = "ask_which_place"  # the community name exists in several streets: which one?

DISTRICT = "district"
STREET = "street"
COMMUNITY = "community"
LEVEL_DEPTH = {DISTRICT: 1, STREET: 2, COMMUNITY: 3}

# ── word lists (docs/intelligence-sentence.md) ─────────────────────────────────────────────

# Something is broken, dirty, dangerous or annoying: a problem to fix (报修/投诉/举报).
PROBLEM_WORDS = (
    "坏了", "坏掉", "损坏", "破损", "破了", "烂了", "不亮", "不能用", "用不了", "失灵", "故障",
    "漏水", "渗水", "漏雨", "冒水", "爆了", "爆管", "破裂", "堵了", "堵塞", "堵死", "堵住", "不通",
    "噪音", "太吵", "很吵", "吵得", "扰民", "乱停", "违停", "乱放", "乱扔", "乱倒", "乱贴", "乱搭",
    "乱堆", "乱摆", "私搭", "违建", "违章", "占道", "摆摊", "积水", "塌陷", "大坑", "脱落", "松了",
    "松动", "倒了", "断了", "快断", "不见了", "缺失", "丢了", "被偷", "臭", "异味", "脏", "油烟",
    "扬尘", "污染", "冒烟", "着火", "漏气", "飞线", "没人管", "没人修", "没人清理", "不管",
    "不作为", "投诉", "举报", "停水", "停电", "没水", "没电", "满了", "溢出", "堆了", "危险",
    "隐患", "困人", "咬人", "抛物", "拉客", "小广告", "过期", "群租", "乱收费", "拖欠", "生病",
    "太少", "堵车", "种了菜", "发臭", "黑车", "维修", "修理", "修一下", "来修", "报修",
)  # fmt: skip
# A request for the administration to do something for the resident (办事/求助/预约).
SERVICE_WORDS = (
    "我想办", "想办理", "办理", "办一下", "申请", "预约", "开证明", "开一个", "开一张", "开具",
    "上门", "帮我", "帮忙", "求助", "代办", "登记", "领取", "补办", "报名", "需要帮助", "协助",
    "派人", "安排人",
)  # fmt: skip
# A question (咨询): the answer is information, not an action on a place.
QUESTION_WORDS = (
    "怎么", "如何", "怎样", "是否", "能否", "能不能", "可不可以", "可以吗", "请问", "咨询",
    "想问", "想了解", "问一下", "什么时候", "多久", "多少钱", "需要什么", "要什么", "哪些",
    "哪里", "在哪", "哪个部门", "有没有", "几点", "吗", "？", "?",
)  # fmt: skip
# A question about a procedure stays a question even when it names a service (怎么申请…).
PROCEDURE_QUESTIONS = (
    "怎么办理", "如何办理", "怎么申请", "如何申请", "需要什么材料", "需要带什么", "要带什么",
    "要什么条件", "什么条件", "在哪里办", "在哪办", "去哪里办", "哪里可以办", "怎么开", "在哪开",
    "怎么预约", "如何预约", "办理流程", "多少钱", "收费标准", "怎么查", "如何查询", "几点上班",
    "开放时间", "电话是多少", "可以提取", "有没有办",
)  # fmt: skip
# A plea phrased as a request for someone to come is a service unless a problem word is present.
STRONG_SERVICE_WORDS = ("上门", "派人", "安排人", "帮我", "帮忙", "预约", "报名")
# "Why has nobody fixed it?" is a complaint, not a question.
COMPLAINT_QUESTIONS = ("怎么还", "为什么还", "怎么没人", "有没有人管", "谁来管", "能不能管", "管不管")

# Keyword → category code. Longer keywords win; on equal length the earlier entry wins, so this
# list comes before the catalogue's own names (which the Django side appends).
KEYWORD_CATEGORIES: tuple[tuple[str, str], ...] = (
    # lighting: a street lamp is the municipal component; a stairwell light belongs to the estate
    ("路灯", "C0113"),
    ("楼道灯", "M010212"),
    ("楼道里的灯", "M010212"),
    ("声控灯", "M010212"),
    ("感应灯", "M010212"),
    ("门禁", "M010212"),
    ("下水道", "M010212"),
    ("化粪池", "C0303"),
    ("公厕", "C0301"),
    ("厕所", "C0301"),
    ("井盖", "C01"),
    ("健身器材", "C0111"),
    ("护栏", "C0205"),
    ("公交站", "C0207"),
    ("红绿灯", "M110504"),
    ("信号灯", "M110504"),
    ("堵车", "M110504"),
    ("路牌", "C0204"),
    ("古树", "C0401"),
    ("树枝", "C0403"),
    ("行道树", "C0403"),
    ("绿化带", "C0402"),
    ("草坪", "C0402"),
    # environment and sanitation
    ("垃圾", "M010214"),
    ("建筑垃圾", "E0103"),
    ("渣土", "E0103"),
    ("小广告", "E0201"),
    ("噪音", "M020203"),
    ("太吵", "M020203"),
    ("很吵", "M020203"),
    ("扰民", "M020203"),
    ("施工噪音", "E0301"),
    ("油烟", "M020206"),
    ("扬尘", "E0303"),
    ("臭味", "M020206"),
    ("污水", "M020210"),
    # street order and traffic
    ("乱停", "E0406"),
    ("违停", "E0406"),
    ("停车", "E0406"),
    ("占道", "E0404"),
    ("摆摊", "E0404"),
    ("黑车", "E0405"),
    ("私搭乱建", "E0101"),
    ("违建", "E0101"),
    ("违章搭建", "E0101"),
    ("积水", "E0503"),
    ("大坑", "E0502"),
    ("塌陷", "E0502"),
    ("水管爆", "E0501"),
    ("水管破", "E0501"),
    ("着火", "E0504"),
    ("火灾", "E0504"),
    # housing, utilities, safety
    ("漏水", "M011008"),
    ("渗水", "M011008"),
    ("漏雨", "M011008"),
    ("物业", "M011003"),
    ("电梯", "M060502"),
    ("停水", "M010216"),
    ("没水", "M010216"),
    ("停电", "M010215"),
    ("没电", "M010215"),
    ("燃气", "M010213"),
    ("煤气", "M010213"),
    ("暖气", "M010208"),
    ("消防通道", "M110809"),
    ("飞线充电", "M110809"),
    ("高空抛物", "M110807"),
    ("群租", "M011011"),
    ("过期食品", "M070401"),
    ("食品安全", "M070401"),
    # services and questions
    ("居住证", "M110404"),
    ("户口", "M110401"),
    ("身份证", "M110405"),
    ("低保", "M120903"),
    ("公积金", "M011001"),
    ("公租房", "M011002"),
    ("廉租房", "M011002"),
    ("高龄津贴", "M120102"),
    ("入学", "M040501"),
    ("婚姻登记", "M120802"),
)

# Area name suffixes that residents drop (王马社区 → 王马, 东新街道 → 东新).
NAME_SUFFIXES = {
    COMMUNITY: ("社区居委会", "居民委员会", "村民委员会", "居委会", "村委会", "社区", "村"),
    STREET: ("街道办事处", "街道", "镇", "乡"),
    DISTRICT: ("自治县", "区", "县", "市"),
}
# A short name (王马) counts only next to these, so that 和平 or 西湖 in a sentence is not a place.
SHORT_NAME_BEFORE = ("在", "住", "是", "到", "去", "位于", "家住", "我们", "这里", "那里")
SHORT_NAME_AFTER = (
    "小区", "附近", "门口", "这边", "那边", "一带", "片区", "里面", "旁边", "楼下", "新村", "花园",
    "家园", "苑", "幢", "栋", "号楼", "单元", "号",
)  # fmt: skip
# Words of position that happen to be the short name of some village (门口村, 东门社区).
COMMON_WORDS = frozenset(
    ("门口", "中心", "新村", "花园", "社区", "小区", "东门", "南门", "西门", "北门", "城东", "城西",
     "城南", "城北", "城中", "路口", "桥头", "楼下", "对面", "附近", "里面", "外面", "前面", "后面",
     "中间", "旁边", "隔壁", "楼上", "上面", "下面", "街上", "路上", "村里", "家里")
)  # fmt: skip
# Words that say where without naming an area: an estate, a road.
ESTATE_SUFFIXES = ("小区", "花园", "家园", "公寓", "大厦", "新村", "广场", "市场", "公园", "商场")
ROAD_SUFFIXES = ("大道", "路", "街", "巷", "弄")
# Filler around a phrase, removed from its ends.
LEADING_FILLERS = (
    "我要投诉", "我要举报", "我想", "我要", "想要", "麻烦", "请问", "你好", "您好", "我们", "我家",
    "那个", "这个", "这里", "那里", "这边", "那边", "已经", "一直", "现在", "还是", "的", "有", "在",
    "了", "都", "就", "请",
)  # fmt: skip
TRAILING_PARTICLES = "啊呀吧呢啦哦嘛吗么!！。.,，、；;?？~ "

NUMBER = r"(?:\d+|[零〇一二两三四五六七八九十百]+)"
PREMISES = re.compile(
    rf"(?P<triple>(?<!\d)(?P<b3>\d{{1,3}})-(?P<u3>\d{{1,2}})-(?P<r3>\d{{3,4}})(?!\d))"
    rf"|(?P<building>(?:{NUMBER}|[A-Za-z])(?:号楼|幢|栋|座|号院))"
    rf"|(?P<unit>{NUMBER}单元)"
    rf"|(?P<room>(?:{NUMBER}(?:室|号房)|\d{{3,4}}))"
    rf"|(?P<floor>{NUMBER}(?:楼|层)(?!道|梯|顶|上|下|房))"
)
DURATION = re.compile(
    rf"(?:已经|都|有|快|近)?(?P<duration>(?:{NUMBER}|好几|几|半|大半)(?:个)?多?"
    r"(?:天|日|周|星期|礼拜|月|年|小时|钟头)多?|好久|很久|好长时间|很长时间|多年)了?"
)
HAN = re.compile(r"[\u4e00-\u9fff]")
CLAUSE_BREAK = re.compile(r"[,，。!！?？;；、\n]+")


# ── places ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Place:
    """An area the sentence may name: its code, full name and level (district/street/community)."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class PlaceHit:
    """One area name found in the text, with every area of that name (the same name recurs)."""

    start: int
    end: int
    alias: str
    places: tuple[Place, ...]
    is_full_name: bool


def short_name(name: str, level: str) -> str | None:
    """王马社区 → 王马, 东新街道 → 东新; None when too little would be left to mean anything."""
    for suffix in NAME_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


class PlaceIndex:
    """Area names and the short forms residents use, searched by their first two characters."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._by_alias: dict[str, tuple[list[Place], bool]] = {}
        for place in places:
            if place.level not in LEVEL_DEPTH or len(place.name) < 2 or place.name == "市辖区":
                continue
            self._add(place.name, place, is_full=True)
            short = short_name(place.name, place.level)
            if short is not None:
                self._add(short, place, is_full=False)
                if place.level == COMMUNITY:
                    # Residents call the community by its estate: 王马小区 for 王马社区.
                    self._add(short + "小区", place, is_full=True)
        self._by_head: dict[str, list[str]] = {}
        for alias in self._by_alias:
            self._by_head.setdefault(alias[:2], []).append(alias)
        for aliases in self._by_head.values():
            aliases.sort(key=len, reverse=True)

    def _add(self, alias: str, place: Place, *, is_full: bool) -> None:
        places, full = self._by_alias.get(alias, ([], is_full))
        if place not in places:
            places.append(place)
        # A full name of one area beats the same text as another area's short form.
        self._by_alias[alias] = (places, full or is_full)

    def __len__(self) -> int:
        return len(self._by_alias)

    def find(self, text: str) -> list[PlaceHit]:
        """Non-overlapping names in `text`, longest first; short names only in a place-like context."""
        found: list[PlaceHit] = []
        taken = [False] * len(text)
        candidates: list[tuple[int, int, str]] = []
        for start in range(len(text) - 1):
            for alias in self._by_head.get(text[start : start + 2], ()):
                if text.startswith(alias, start):
                    candidates.append((start, start + len(alias), alias))
        candidates.sort(key=lambda item: (-(item[1] - item[0]), item[0]))
        for start, end, alias in candidates:
            if any(taken[start:end]):
                continue
            places, is_full = self._by_alias[alias]
            if not is_full and not _short_name_in_context(text, start, end, places, found):
                continue
            for position in range(start, end):
                taken[position] = True
            found.append(PlaceHit(start, end, alias, tuple(places), is_full))
        return sorted(found, key=lambda hit: hit.start)


def _short_name_in_context(
    text: str, start: int, end: int, places: Sequence[Place], found: Sequence[PlaceHit]
) -> bool:
    alias = text[start:end]
    after = text[end:]
    if alias in COMMON_WORDS or alias.endswith(ROAD_SUFFIXES) or after.startswith(ROAD_SUFFIXES):
        return False  # 门口 is a village somewhere; 学院路 and 武林路 are roads before they are areas
    if end - start >= 3:
        return True
    depth = max(LEVEL_DEPTH[p.level] for p in places)
    # Right after a larger area (东新街道王马): the short name of something inside it.
    if any(hit.end == start and max(LEVEL_DEPTH[p.level] for p in hit.places) < depth for hit in found):
        return True
    if any(text[:start].endswith(word) for word in SHORT_NAME_BEFORE):
        return True
    return bool(re.match(r"\d|[一二三四五六七八九十]", after)) or any(
        after.startswith(word) for word in SHORT_NAME_AFTER
    )


def _shared_prefix(first: str, second: str) -> int:
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count


@dataclass(frozen=True)
class PlaceMatch:
    """The areas the sentence names, resolved: the chosen area, or the candidates when it is ambiguous."""

    district: str | None = None
    street: str | None = None
    community: str | None = None
    level: str | None = None  # the deepest level named
    area_code: str | None = None  # the chosen area at that level; None when ambiguous
    candidates: tuple[str, ...] = ()  # the equally good areas when ambiguous
    conflict: bool = False  # the chosen area is not inside an area named above it
    spans: tuple[tuple[int, int], ...] = ()


def _at_deepest_level(hit: PlaceHit) -> PlaceHit:
    depth = max(LEVEL_DEPTH[p.level] for p in hit.places)
    places = tuple(p for p in hit.places if LEVEL_DEPTH[p.level] == depth)
    return PlaceHit(hit.start, hit.end, hit.alias, places, hit.is_full_name)


# Where an area's own segment of the code ends (core.area_codes): its subtree starts with this much.
SCOPE_LENGTH = {DISTRICT: 6, STREET: 9, COMMUNITY: 12}


def resolve_places(hits: Sequence[PlaceHit]) -> PlaceMatch:
    """Pick the deepest named area; among areas of that name the one that agrees most (by code)
    with the other names; several equally good ones make the place ambiguous."""
    if not hits:
        return PlaceMatch()
    deepest = max(LEVEL_DEPTH[p.level] for hit in hits for p in hit.places)
    # A name that is also a township elsewhere (芙蓉社区) is read at its deepest level.
    hits = [_at_deepest_level(hit) for hit in hits]

    def agreement(place: Place, own: PlaceHit) -> tuple[int, int]:
        shared = sum(
            max(_shared_prefix(place.code, other.code) for other in hit.places)
            for hit in hits
            if hit is not own
        )
        return (shared, 1 if own.is_full_name else 0)

    scored = [
        (agreement(place, hit), place)
        for hit in hits
        for place in hit.places
        if LEVEL_DEPTH[place.level] == deepest
    ]
    best = max(score for score, _place in scored)
    winners = sorted({p.code: p for score, p in scored if score == best}.values(), key=lambda p: p.code)
    chosen = winners[0] if len(winners) == 1 else None
    anchor = winners[0]
    names: dict[str, str] = {}
    conflict = False
    for hit in hits:
        level = hit.places[0].level
        closest = max(hit.places, key=lambda p: _shared_prefix(p.code, anchor.code))
        names.setdefault(level, closest.name)
        if chosen is not None and LEVEL_DEPTH[level] < deepest:
            inside = any(chosen.code.startswith(p.code[: SCOPE_LENGTH[level]]) for p in hit.places)
            conflict = conflict or not inside
    return PlaceMatch(
        district=names.get(DISTRICT),
        street=names.get(STREET),
        community=names.get(COMMUNITY),
        level=anchor.level,
        area_code=chosen.code if chosen else None,
        candidates=() if chosen else tuple(p.code for p in winners),
        conflict=conflict,
        spans=tuple((hit.start, hit.end) for hit in hits),
    )


# ── premises, duration, estate, road ───────────────────────────────────────────────────────

CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
CHINESE_DIGITS.update({"七": 7, "八": 8, "九": 9})


def chinese_number(text: str) -> int | None:
    """十二 → 12, 三百零一 → 301; None when it is not a plain Chinese numeral."""
    if not text or any(ch not in CHINESE_DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + CHINESE_DIGITS[ch]
    return total + current


def _arabic(text: str) -> str:
    """三幢 → 3幢: the leading Chinese numeral of a building, unit or room as digits."""
    match = re.match(r"[零〇一二两三四五六七八九十百]+", text)
    if not match:
        return text
    value = chinese_number(match.group())
    return text if value is None else f"{value}{text[match.end() :]}"


@dataclass(frozen=True)
class Premises:
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    floor: str | None = None
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def label(self) -> str:
        return "".join(part for part in (self.building, self.unit, self.room) if part)


def extract_premises(text: str) -> Premises:
    """3幢2单元401室, 5号楼, 3-2-401, 三栋: the first building, unit, room and floor named."""
    parts: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for match in PREMISES.finditer(text):
        kind = match.lastgroup if match.group("triple") is None else "triple"
        if kind == "triple":
            if "building" not in parts:
                parts["building"] = f"{match.group('b3')}幢"
                parts["unit"] = f"{match.group('u3')}单元"
                parts["room"] = f"{match.group('r3')}室"
                spans.append(match.span())
            continue
        if kind is None or kind in parts:
            continue
        value = _arabic(match.group())
        if kind == "room":
            # A bare number is a room only right after a unit or a building (2单元401).
            bare = value.isdigit()
            if bare and not (spans and spans[-1][1] == match.start()):
                continue
            value = value if not bare else f"{value}室"
        parts[kind] = value
        spans.append(match.span())
    return Premises(
        building=parts.get("building"),
        unit=parts.get("unit"),
        room=parts.get("room"),
        floor=parts.get("floor"),
        spans=tuple(spans),
    )


def extract_duration(text: str) -> tuple[str | None, tuple[int, int] | None]:
    """一周, 三天, 好几天, 半个月: how long the problem has lasted, and where it is in the text."""
    for match in DURATION.finditer(text):
        duration = match.group("duration")
        if duration in ("几点", "几号"):
            continue
        return duration, match.span()
    return None, None


def _tail_after_boundary(span: str) -> str:
    """The end of a span after the last word that cannot be part of a name (在, 的, 住 …)."""
    cut = 0
    for index, ch in enumerate(span):
        if ch in "在的是了和与到从住我有个些这那边里上下":
            cut = index + 1
    return span[cut:]


def extract_estate(
    text: str, place_spans: Sequence[tuple[int, int]], building_start: int | None
) -> tuple[str | None, tuple[int, int] | None]:
    """The estate or building complex (和睦新村, 朝晖五区): between the last area name and the
    building number, or a name ending in 小区/花园/新村 … that is not an area name itself."""
    place_end = max((end for _start, end in place_spans), default=0)
    if building_start is not None and building_start > place_end:
        tail = _tail_after_boundary(text[place_end:building_start])
        if tail in ESTATE_SUFFIXES and tail == text[place_end:building_start]:
            # 和睦新村: the estate carries the community's short name, which the area match took.
            start = max(start for start, end in place_spans if end == place_end)
            return text[start:building_start], (place_end, building_start)
        if 2 <= len(tail) <= 10 and all(HAN.match(ch) for ch in tail):
            return tail, (building_start - len(tail), building_start)
    for suffix in ESTATE_SUFFIXES:
        for match in re.finditer(rf"[\u4e00-\u9fff]{{1,8}}{suffix}", text):
            start, end = match.end() - len(suffix), match.end()
            name = _tail_after_boundary(match.group()[: -len(suffix)]) + suffix
            start = end - len(name)
            if any(a < end and start < b for a, b in place_spans):
                continue
            if len(name) - len(suffix) >= 2:
                return name, (start, end)
    return None, None


ROAD = re.compile(
    r"[\u4e00-\u9fff]{2,6}?(?:大道|路|街|巷|弄)(?:\d+号)?"
    r"(?=\d|号|口|与|和|交|附近|上|边|旁|段|东|西|南|北|[,，。!！?？\s]|$)"
)


def extract_roads(text: str, taken: Sequence[tuple[int, int]]) -> list[tuple[str, tuple[int, int]]]:
    """Road names (文三路, 武林路12号) that are not part of an area name already found."""
    roads = []
    for match in ROAD.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        name = _tail_after_boundary(match.group())
        body = re.sub(r"\d+号$", "", name)
        suffix = next(s for s in ROAD_SUFFIXES if body.endswith(s))
        if len(body) - len(suffix) < 2 or body.startswith(("这条", "那条", "马路", "小路")):
            continue
        roads.append((name, (match.end() - len(name), match.end())))
    return roads


# ── kind, phrase, category ─────────────────────────────────────────────────────────────────


def _hits(text: str, words: Iterable[str]) -> list[str]:
    return [word for word in words if word in text]


def classify_kind(text: str, *, has_category: bool) -> tuple[str, str | None, str]:
    """(kind, the word that decided it, the rule) — see the word lists above."""
    problem = _hits(text, PROBLEM_WORDS)
    service = _hits(text, SERVICE_WORDS)
    question = _hits(text, QUESTION_WORDS)
    procedure = _hits(text, PROCEDURE_QUESTIONS)
    complaint = _hits(text, COMPLAINT_QUESTIONS)
    if procedure and not problem:
        return KIND_QUESTION, procedure[0], "procedure_question"
    if problem:
        return KIND_PROBLEM, max(problem, key=len), "problem_word"
    if complaint and has_category:
        return KIND_PROBLEM, complaint[0], "complaint_question"
    strong = _hits(text, STRONG_SERVICE_WORDS)
    if strong:
        return KIND_SERVICE, strong[0], "service_word"
    if question:
        return KIND_QUESTION, max(question, key=len), "question_word"
    if service:
        return KIND_SERVICE, max(service, key=len), "service_word"
    if has_category:
        return KIND_PROBLEM, None, "category_only"
    return KIND_PROBLEM, None, "default"


def find_category(text: str, keywords: Sequence[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(category code, keyword): the longest keyword in the text; the earlier one on equal length."""
    best: tuple[int, int, str, str] | None = None
    for position, (word, code) in enumerate(keywords):
        if word and word in text:
            candidate = (len(word), -position, code, word)
            if best is None or candidate > best:
                best = candidate
    return (best[2], best[3]) if best else (None, None)


def _blank(text: str, spans: Iterable[tuple[int, int] | None]) -> str:
    """The text with the given spans replaced by a clause break (they are places, not the problem)."""
    chars = list(text)
    for span in spans:
        if span is None:
            continue
        for index in range(span[0], span[1]):
            chars[index] = "，"
    return "".join(chars)


def _trim(phrase: str) -> str:
    changed = True
    while changed and phrase:
        changed = False
        for filler in LEADING_FILLERS:
            if phrase.startswith("有没有"):
                break
            if phrase.startswith(filler) and len(phrase) > len(filler):
                phrase = phrase[len(filler) :]
                changed = True
        stripped = phrase.rstrip(TRAILING_PARTICLES)
        if stripped != phrase:
            phrase, changed = stripped, True
    return phrase


def extract_phrase(
    text: str, removed: Sequence[tuple[int, int] | None], cue: str | None, keyword: str | None
) -> str:
    """The clause that says what is wrong or wanted, without the place, building and duration;
    with the clause naming the thing in front when the place split them (…修一下，2幢的路灯)."""
    clauses = [_trim(c) for c in CLAUSE_BREAK.split(_blank(text, removed))]
    clauses = [c for c in clauses if c and HAN.search(c)]
    if not clauses:
        return ""
    with_cue = [c for c in clauses if cue and cue in c]
    chosen = with_cue[0] if with_cue else max(clauses, key=len)
    if keyword and keyword not in chosen:
        named = [c for c in clauses if keyword in c]
        if named:
            chosen = f"{named[0]}，{chosen}"
    return chosen[:60]


def phrase_says_what(phrase: str) -> bool:
    """Does the phrase name a thing, not just 坏了? (two Chinese characters beyond cue words)."""
    rest = phrase
    for word in sorted((*PROBLEM_WORDS, *SERVICE_WORDS, *QUESTION_WORDS), key=len, reverse=True):
        rest = rest.replace(word, "")
    for filler in (*LEADING_FILLERS, "很", "太", "又", "也", "还", "有人", "人"):
        rest = rest.replace(filler, "")
    return len(HAN.findall(rest)) >= 2


# ── the parse ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SentenceParse:
    text: str
    kind: str
    kind_cue: str | None  # the word that decided the kind (rules, not a probability)
    kind_rule: str
    phrase: str
    duration: str | None
    category_code: str | None
    category_keyword: str | None
    class_label: str | None  # the message classifier's first-level class, when a model exists
    class_confidence: float | None
    district: str | None
    street: str | None
    community: str | None
    area_level: str | None  # the deepest level the sentence names
    area_code: str | None  # the chosen area at that level, None when none or ambiguous
    area_candidates: tuple[str, ...]  # equally good areas of the same name
    place_conflict: bool
    estate: str | None
    road: str | None
    building: str | None
    unit: str | None
    room: str | None
    floor: str | None
    missing: tuple[str, ...]
    question: str | None  # ASK_PROBLEM, ASK_PLACE, ASK_WHICH_PLACE or None

    @property
    def premises(self) -> str:
        """3幢2单元401室 — the building, unit and room as one label."""
        return "".join(part for part in (self.building, self.unit, self.room) if part)

    @property
    def is_case(self) -> bool:
        return self.kind in (KIND_PROBLEM, KIND_SERVICE)

    @property
    def is_ready(self) -> bool:
        return self.is_case and not self.missing

    @property
    def where(self) -> str:
        """The most precise place words: community or estate or road, then the building."""
        place = self.estate or self.community or self.road or self.street or self.district or ""
        if self.estate and self.community and self.estate != self.community:
            place = self.community + self.estate
        return place + self.premises

    @property
    def title(self) -> str:
        """A short summary: where and what (王马社区3幢楼道灯坏了)."""
        where = self.where
        what = self.phrase or self.text[:30]
        return (what if where and where in what else where + what)[:80]


PlaceFinder = Callable[[str], Sequence[PlaceHit]]
Classifier = Callable[[str], tuple[str, float] | None]


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation to their plain forms; no spaces (dictation adds them)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).strip()


def parse_sentence(
    sentence: str,
    *,
    places: PlaceIndex | PlaceFinder,
    classify: Classifier | None = None,
    keywords: Sequence[tuple[str, str]] = KEYWORD_CATEGORIES,
) -> SentenceParse:
    """Understand one sentence: kind, what, where, how long, category; and what is missing."""
    text = normalise(sentence)
    hits = places.find(text) if isinstance(places, PlaceIndex) else list(places(text))
    match = resolve_places(hits)
    premises = extract_premises(text)
    premises_spans = [s for s in premises.spans if not any(a <= s[0] < b for a, b in match.spans)]
    duration, duration_span = extract_duration(text)
    building_start = min((start for start, _end in premises_spans), default=None)
    estate, estate_span = extract_estate(text, match.spans, building_start)
    roads = extract_roads(text, [*match.spans, *premises_spans, *([estate_span] if estate_span else [])])
    road, road_span = roads[0] if roads else (None, None)

    category_code, category_keyword = find_category(text, keywords)
    kind, cue, rule = classify_kind(text, has_category=category_code is not None)
    removed = [*match.spans, *premises_spans, duration_span, estate_span, road_span]
    phrase = extract_phrase(text, removed, cue, category_keyword)
    class_label, class_confidence = None, None
    if classify is not None and text:
        suggestion = classify(text)
        if suggestion is not None:
            class_label, class_confidence = suggestion

    missing: list[str] = []
    question = None
    if kind != KIND_QUESTION:
        if category_code is None and not phrase_says_what(phrase):
            missing.append(MISSING_PROBLEM)
            question = ASK_PROBLEM
        if match.level == COMMUNITY and match.area_code is None:
            missing.append(MISSING_PLACE)
            question = question or ASK_WHICH_PLACE
        elif not (match.level == COMMUNITY or estate or road):
            missing.append(MISSING_PLACE)
            question = question or ASK_PLACE
    return SentenceParse(
        text=text,
        kind=kind,
        kind_cue=cue,
        kind_rule=rule,
        phrase=phrase,
        duration=duration,
        category_code=category_code,
        category_keyword=category_keyword,
        class_label=class_label,
        class_confidence=class_confidence,
        district=match.district,
        street=match.street,
        community=match.community,
        area_level=match.level,
        area_code=match.area_code,
        area_candidates=match.candidates,
        place_conflict=match.conflict,
        estate=estate,
        road=road,
        building=premises.building,
        unit=premises.unit,
        room=premises.room,
        floor=premises.floor,
        missing=tuple(missing),
        question=question,
    )


def combine(sentence: str, answers: Iterable[str]) -> str:
    """The sentence with the resident's answers to our questions, as one text to parse again."""
    parts = [part.strip() for part in (sentence, *answers) if part and part.strip()]
    return "，".join(parts)
