"""Place mentions in Chinese message text (pure): administrative units, roads, estates, buildings.

Citizens name the place of a problem in free text: "A市A5区解放东路星光之城小区3栋", "东湖街道金桂新城附近",
"A7县青山镇银杏村". `extract_places` finds those mentions with suffix rules (…街道, …路, …小区, …苑, 3栋, …);
`place_key` picks the most specific one (estate or facility, else road, else the smallest
administrative unit) as a normalised key, the "same place" of hot-issue clustering.

There is no gazetteer: a mention is a run of name characters ending in a place suffix, cut on the left
at the previous mention, at a function character (的, 在, 我, …) and at a leading verb (投诉, 反映, …).
So it finds names it has never seen, and it also makes mistakes a gazetteer would not: an unsuffixed
estate name ("保利大都汇") is only found when a building or phase number follows it ("…三期6栋"), and
a word that merely ends like a place ("文明城", "这条路") needs the stop lists below.
"""

import re
import unicodedata
from dataclasses import dataclass

# How specific each kind is: place_key takes the most specific mention, the first one on a tie
# (the title comes first when callers pass "title + body").
SPECIFICITY = {
    "estate": 9,
    "facility": 8,
    "road": 7,
    "village": 6,
    "community": 5,
    "town": 4,
    "street": 4,
    "district": 3,
    "city": 2,
    "province": 1,
    "building": 0,  # a building number alone ("3栋") says nothing without its estate
}


@dataclass(frozen=True)
class Place:
    kind: str  # a key of SPECIFICITY
    name: str  # as written, with its suffix: "星光之城小区", "解放东路", "A5区"
    start: int  # offset in the normalised text (see `normalise`)


_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_NAME_DOT = re.compile(r"(?<=[\u4e00-\u9fff])[.・•](?=[\u4e00-\u9fff])")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), no zero-width characters, single spaces."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _NAME_DOT.sub("·", text)
    return _SPACES.sub(" ", text).strip()


# Anonymised names of the shipped data (A市, A5区, K3县) and real ones (杭州市, 上城区, 西湖区).
_ADMIN = re.compile(
    r"(?P<province>(?<![外全本我该各跨])[\u4e00-\u9fff]{2}省)"
    r"|(?P<city>[A-Z]\d*市)"
    r"|(?P<district>[A-Z]\d+[区县])"
)
# A real city or district name is only taken right after a province or city ("浙江省杭州市上城区"):
# on its own "…市" and "…区" are too often 超市, 城市, 小区, 景区.
_ADMIN_CHAIN = re.compile(r"(?P<city>[\u4e00-\u9fff]{2,3}市)|(?P<district>[\u4e00-\u9fff]{1,3}[区县])")
_CJK = "\u4e00-\u9fff"
# A place name is made of these characters; anything else ends it.
_NAME_CHARS = re.compile(rf"[{_CJK}A-Za-z0-9·]+")
# Characters that (almost) never occur inside a place name, so a name never reaches across them.
_STOP_CHARS = set(
    "的了是在和与及或对把被从于给让将就都也还又很这那该本其我你他她它们请说要想不有个为到过着啊吗呢吧以走进入"
)
# Words in front of a name at the start of a run: "投诉滨河苑" is about 滨河苑.
_LEADING_WORDS = (
    "坚决反对",
    "强烈要求",
    "强烈建议",
    "关于",
    "投诉",
    "反映",
    "反应",
    "举报",
    "咨询",
    "请问",
    "询问",
    "建议",
    "希望",
    "要求",
    "请求",
    "恳请",
    "反对",
    "位于",
    "地处",
    "座落",
    "坐落",
    "住在",
    "来自",
    "紧邻",
    "靠近",
    "毗邻",
    "隔壁",
    "附近",
    "旁边",
    "周边",
    "对面",
    "小区",
    "社区",
    "位置",
    "商品房",
    "楼盘",
    "项目",
    "诉",
    "问",
    "请",
    "近",
)

# (suffix, kind), longest first where one suffix ends another ("街道" before "街").
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("街道办事处", "street"),
    ("街道办", "street"),
    ("街道", "street"),
    ("社区", "community"),
    ("新村", "estate"),
    ("村", "village"),
    ("镇", "town"),
    ("乡", "town"),
    ("大道", "road"),
    ("步行街", "road"),
    ("路", "road"),
    ("街", "road"),
    ("巷", "road"),
    ("小区", "estate"),
    ("花园", "estate"),
    ("家园", "estate"),
    ("山庄", "estate"),
    ("公寓", "estate"),
    ("公馆", "estate"),
    ("大厦", "estate"),
    ("广场", "estate"),
    ("国际", "estate"),
    ("华庭", "estate"),
    ("半岛", "estate"),
    ("苑", "estate"),
    ("园", "estate"),
    ("城", "estate"),
    ("府", "estate"),
    ("湾", "estate"),
    ("郡", "estate"),
    ("阁", "estate"),
    ("邸", "estate"),
    ("幼儿园", "facility"),
    ("小学", "facility"),
    ("中学", "facility"),
    ("大学", "facility"),
    ("学院", "facility"),
    ("学校", "facility"),
    ("医院", "facility"),
    ("卫生院", "facility"),
    ("公园", "facility"),
    ("菜市场", "facility"),
    ("市场", "facility"),
    ("地铁站", "facility"),
    ("火车站", "facility"),
    ("汽车站", "facility"),
    ("公交站", "facility"),
    ("工业园", "facility"),
    ("产业园", "facility"),
    ("物流园", "facility"),
)
_SUFFIX_RE = re.compile("|".join(re.escape(s) for s, _ in sorted(_SUFFIXES, key=lambda p: -len(p[0]))))
_KIND_OF_SUFFIX = dict(_SUFFIXES)
# Most runs of text name no place: one that lacks every last character of a suffix is skipped.
_TRIGGER = re.compile(
    "[" + "".join(sorted({suffix[-1] for suffix, _ in _SUFFIXES} | set("省市区县栋幢楼元期"))) + "]"
)


def _words(text: str) -> list[str]:
    return text.split()


# Whole mentions that look like places but are ordinary words.
_NOT_PLACES = set(
    _words(
        "马路 道路 公路 铁路 线路 思路 出路 走路 上路 让路 修路 通路 水路 电路 网路 套路 门路 小路 "
        "大路 十字路 快速路 环线路 公交线路 高速公路 国道路 这条路 断头路 大街 街 小巷 大街小巷 "
        "临街 沿街 上街 逛街 满街 一条街 "
        "城乡 家乡 老乡 返乡 下乡 乡 农村 全村 本村 城中村 新农村 村 镇 乡镇 城镇 小镇 "
        "县城 全城 主城 进城 省城 新城 老城 旧城 古城 名城 文明城 卫生城 省会城 中心城 一线城 "
        "二线城 京城 满城 "
        "校园 公园 家园 花园 乐园 菜园 果园 庄园 田园 园 美好家园 幸福家园 理想家园 美丽家园 "
        "广场 国际 公寓 山庄 大厦 高楼大厦 政府 市政府 区政府 县政府 人民政府 省政府 镇政府 政府 华府 "
        "港湾 海湾 台湾 湾 郡 阁 苑 小区 社区 新村 大道 学院 学校 小学 中学 大学 医院 市场 菜市场 幼儿园 "
        "监狱 城市 都市"
    )
)
# Stems (mention minus suffix) that are not names: "老旧小区", "周边小区".
_GENERIC_STEMS = set(
    _words(
        "老旧 安置 周边 附近 周围 整个 各个 全部 所有 部分 一个 两个 几个 多个 其他 其它 新建 在建 同一 每个 "
        "相邻 居民 商品房 保障房 高档 普通 大型 小型 农村 城市 城区 街道 社区 开放式 封闭式 老 新 该 本 此 "
        "政 人民 省 市 区 县 镇 民办 公办 私立 公立 普惠 普惠性 这所 一所 当地 附属 周边的"
    )
)

_BUILDING = re.compile(r"(?:[A-Za-z]?\d{1,3}|[一二三四五六七八九十]{1,3})(?:栋|幢|号楼|单元)")
# An estate without a suffix is still an estate when a phase or building number follows it:
# "碧水云庭半岛二期8栋", "海德公元15栋", "万国城一期20栋".
_PHASE = re.compile(r"(?:[一二三四五六七八九十\d]{1,2}期)")
_MAX_NAME = 10  # characters before the suffix; longer runs are cut on the left


_LEADING_NUMBERS = re.compile(r"^(?:[A-Za-z]?\d+[号栋幢]?|[一二三四五六七八九十]{1,2}期)+")
# A mention ending in one of these is an ordinary word, whatever comes before it ("挖断道路").
_GENERIC_ENDINGS = tuple(
    _words(
        "道路 马路 线路 公路 小路 大路 出路 思路 电路 水路 套路 跑路 上路 让路 带路 领路 迷路 开路 "
        "一路 半路 退路 后路 活路 生路 门路 网路 老路 弯路 近路 远路 修路 铺路 封路 堵路 挡路 走路 "
        "过路 同路 心路 末路 歧路"
    )
)
# A suffix followed by a larger unit belongs to it: "黄金园街道", "星光之城小区", "黄兴路步行街".
_ABSORBING = re.compile(r"(?:街道|社区|小区|新村|村|镇|乡|路|大道|步行街|花园|家园)")
_SHORT_STEM_SUFFIXES = {"路", "街", "城", "苑", "园", "湾", "府", "阁", "郡"}
# One-character stems that make words, not names: 条路, 上街, 进城, 花园.
_NOT_STEMS = set("条段个些一边头上下前后里外马道公铁线网小大出进走跑修进满全县省主老新旧古名花家乐校菜果庄田")


# Verbs that end whatever came before them: "单位内部购买锦绣园临江苑" is about 锦绣园临江苑.
_CUT_WORDS = re.compile(
    "购买|取消|影响|形成|回复|处理|收回|反映|投诉|举报|靠近|位于|来自|居住|住在|购房|入住|建设|开发|"
    "要求|希望|导致|造成|解决|修建|新建|扩建|改造|规划|设立|设置|占用|经过|前往|紧挨|紧邻|毗邻"
)


def _trim_left(name: str, suffix: str = "") -> str:
    """Drop what precedes the name: numbers, leading verbs (投诉…), and anything before a cutting verb,
    as long as a name of at least two characters before the suffix remains."""
    cuts = [m.end() for m in _CUT_WORDS.finditer(name) if len(name) - m.end() - len(suffix) >= 2]
    if cuts:
        name = name[cuts[-1] :]
    changed = True
    while changed:
        changed = False
        stripped = _LEADING_NUMBERS.sub("", name)
        if stripped != name:
            name, changed = stripped, True
        for word in _LEADING_WORDS:
            if name.startswith(word) and len(name) > len(word) + 1:
                name, changed = name[len(word) :], True
                break
    return name


def _cut_at_stop(run: str, begin: int, end: int) -> int:
    """Where a name ending before `end` starts: after the last stop character in run[begin:end]."""
    for position in range(end - 1, begin - 1, -1):
        if run[position] in _STOP_CHARS:
            return position + 1
    return begin


def _mention(run: str, begin: int, end: int, suffix: str) -> tuple[str, int] | None:
    """The name ending at `end` (exclusive) in `run`, starting no earlier than `begin`, or None."""
    begin = _cut_at_stop(run, max(begin, end - len(suffix) - _MAX_NAME), end - len(suffix))
    name = run[begin:end]
    trimmed = _trim_left(name, suffix)
    begin += len(name) - len(trimmed)
    stem = trimmed[: -len(suffix)]
    if len(stem) < 2 and not (len(stem) == 1 and suffix in _SHORT_STEM_SUFFIXES and stem not in _NOT_STEMS):
        return None
    if trimmed in _NOT_PLACES or stem in _GENERIC_STEMS or stem.isdigit() or stem.isascii():
        return None
    if trimmed.endswith(_GENERIC_ENDINGS) or (suffix == "府" and trimmed.endswith("政府")):
        return None
    return trimmed, begin


def _admin_places(run: str, offset: int) -> list[Place]:
    found: list[Place] = []
    for match in _ADMIN.finditer(run):
        found.append(Place(match.lastgroup or "city", match.group(), offset + match.start()))
        position = match.end()
        while chained := _ADMIN_CHAIN.match(run, position):
            name = chained.group()
            if name.endswith(("小区", "社区", "景区", "园区", "片区", "校区")) or name in _NOT_PLACES:
                break
            found.append(Place(chained.lastgroup or "district", name, offset + position))
            position = chained.end()
    return found


def _places_in_run(run: str, offset: int) -> list[Place]:
    if not _TRIGGER.search(run):
        return []
    found = _admin_places(run, offset)
    taken = [(p.start - offset, p.start - offset + len(p.name)) for p in found]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def left_edge(position: int) -> int:
        return max([0] + [e for _, e in taken if e <= position])

    for match in _SUFFIX_RE.finditer(run):
        suffix, end = match.group(), match.end()
        if not free(match.start(), end):
            continue
        following = run[end : end + 3]
        if _KIND_OF_SUFFIX[suffix] in {"estate", "facility"} and _ABSORBING.match(following):
            continue
        if suffix in {"城", "园", "苑", "湾"} and following[:1] and following[0] in "市管区乡中内外际铁":
            continue
        if suffix in {"路", "街"} and following[:1] and following[0] in "灯段面边况线":
            continue
        mention = _mention(run, left_edge(match.start()), end, suffix)
        if mention is None:
            # A rejected word still ends what came before it: "805路改道" is not part of a name.
            taken.append((match.start(), end))
            continue
        name, start = mention
        found.append(Place(_KIND_OF_SUFFIX[suffix], name, offset + start))
        taken.append((start, end))
    for match in _BUILDING.finditer(run):
        if not free(match.start(), match.end()):
            continue
        found.append(Place("building", match.group(), offset + match.start()))
        # The name in front of "三期6栋" / "15栋" is an estate when nothing else claimed it.
        head_end = match.start()
        for phase in _PHASE.finditer(run, 0, head_end):
            if phase.end() == head_end:
                head_end = phase.start()
        taken.append((head_end, match.end()))
        left = _cut_at_stop(run, max(left_edge(head_end), head_end - _MAX_NAME), head_end)
        candidate = _trim_left(run[left:head_end])
        start = head_end - len(candidate)
        if (
            len(candidate) >= 2
            and free(start, head_end)
            and candidate not in _GENERIC_STEMS
            and not candidate.isascii()
            and not candidate.endswith(("小区", "社区", "楼", "房"))
        ):
            found.append(Place("estate", candidate, offset + start))
            taken.append((start, head_end))
    return _join_adjacent_estates(sorted(found, key=lambda place: place.start), run, offset)


def _join_adjacent_estates(places: list[Place], run: str, offset: int) -> list[Place]:
    """One estate written in two parts is one mention: 锦绣园临江苑, 锦绣园·临江苑, 长房半岛蓝湾."""
    joined: list[Place] = []
    for place in places:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.kind == "estate"
            and place.kind == "estate"
            and run[previous.start - offset + len(previous.name) : place.start - offset] in {"", "·"}
        ):
            name = run[previous.start - offset : place.start - offset + len(place.name)]
            joined[-1] = Place("estate", name, previous.start)
        else:
            joined.append(place)
    return joined


def extract_places(text: str) -> list[Place]:
    """Every place mention in `text` (normalised first), in reading order."""
    text = normalise(text)
    places: list[Place] = []
    for run in _NAME_CHARS.finditer(text):
        places.extend(_places_in_run(run.group(), run.start()))
    return places


_KEY_SUFFIXES = ("小区", "社区", "新村社区", "片区")
_KEY_TAIL = re.compile(r"(?:[一二三四五六七八九十\d]{1,2}期|[东西南北]区|[A-Za-z]区)+$")
_KEY_HEAD = re.compile(r"^(?:[A-Z]\d*[市区县])+")


def name_key(name: str) -> str:
    """The comparable form of a place name: no administrative prefix, no 小区/社区 suffix, no phase.

    "A5区星光之城小区" and "星光之城" give the same key; 锦绣园·临江苑 and 锦绣园临江苑 too.
    """
    key = _KEY_HEAD.sub("", normalise(name).replace("·", "").replace(".", ""))
    key = _KEY_TAIL.sub("", key)
    for suffix in _KEY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)]
            break
    return key


def place_key(text: str) -> str:
    """The key (see `name_key`) of the most specific place in `text`, the first one on a tie.

    A district (A5区) or street when nothing finer is named, as written; "" for a city or province
    alone, or no place. The most specific mention wins over an earlier one, so for a message with a
    title, hot-issue clustering asks the title first and the body only when the title names no place.
    """
    places = [place for place in extract_places(text) if SPECIFICITY[place.kind] >= SPECIFICITY["district"]]
    if not places:
        return ""
    best = max(places, key=lambda place: (SPECIFICITY[place.kind], -place.start))
    return best.name if best.kind == "district" else name_key(best.name)
