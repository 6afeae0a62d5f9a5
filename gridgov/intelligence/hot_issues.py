"""Hot issues (热点问题, pure): messages about the same concrete issue, grouped and ranked by heat.

"The same concrete issue" is the same place and the same problem: fifty residents of 丽发新城 writing
over six weeks about the concrete-mixing plant next door, in fifty different wordings. The method
(docs/intelligence-hot-issues.md has the measurements behind every constant):

1. Reposts (the same body once spaces and punctuation are ignored) start as one group, whatever
   their titles, and groups only ever merge: reposts always end in the same issue.
2. Each message gets its places (`places.extract_places`: the title's, else the body's most specific
   one, unless the product knows the area) and two TF-IDF vectors of character bigrams, title and
   body, with the place names blanked out: the text then says what the problem is, the places where.
3. Pair score = TITLE_WEIGHT·cos(titles) + (1 − TITLE_WEIGHT)·cos(bodies)
                + SAME_PLACE_BONUS at the same place, − OTHER_PLACE_PENALTY at two different places
   (the penalty is a veto: the same complaint at another estate is another issue).
4. Centroid-linkage agglomeration over the sparse graph of candidate pairs: linked groups merge, best
   first, while the score of their centroids (cosine of the summed vectors, mean place term over all
   cross pairs) is at least MERGE_THRESHOLD.

Heat (`heat_index`) then ranks the groups: about how many people raised or backed the issue
(distinct reporters, repeats at half weight, likes on a log scale), times persistence (active days)
and recency.
"""

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import heappop, heappush

import numpy as np
import scipy.sparse as sp

from gridgov.intelligence.places import SPECIFICITY, Place, extract_places, name_key, normalise
from gridgov.intelligence.similarity import bigram_vectors

# Pair score and merge rule (step 3 and 4 above), chosen on hot-issues.csv: see the docs.
TITLE_WEIGHT = 0.4
SAME_PLACE_BONUS = 0.25
OTHER_PLACE_PENALTY = 1.0
MERGE_THRESHOLD = 0.28
# Below this text similarity the place bonus does not count: a university gets complaints about
# stray dogs, fees and dormitories, all at the same place and none the same problem.
MIN_TEXT_SIMILARITY = 0.05
# Body bigrams found in more than this share of the messages (您好, 小区, 问题) say nothing.
BODY_MAX_DF = 0.3
BODY_MAX_DF_FLOOR = 50
# Pairs whose score over rare bigrams alone is below this are not scored at all (see _candidate_pairs).
CANDIDATE_FLOOR = 0.08
RARE_LIMIT = 50

# Heat (see heat_index).
REPEAT_WEIGHT = 0.5
LIKE_WEIGHT = 2.0
PERSISTENCE_WEIGHT = 0.25
RECENCY_HALF_LIFE_DAYS = 30.0
RECENCY_FLOOR = 0.25

# Place mentions blanked out of the text before comparing problems (facilities stay: "搅拌站" is the
# problem as much as the place).
_MASKED_KINDS = frozenset(SPECIFICITY) - {"facility"}
# Keys shorter than this only match exactly: "星城" is part of too many names.
_MIN_AFFIX_KEY = 3
_KIND_SUFFIXES = ("幼儿园", "小学", "中学", "大学", "学院", "学校", "医院", "卫生院", "公园", "市场", "广场")
_KIND_WORDS = re.compile(
    "^(?:配套|无配套|小区配套|公办|民办|普惠|普惠性|普惠制|实验|中心|人民|第[一二三四五六七八九十]|市属|区属|县属|"
    "省属|附属|私立|公立|眼科|中医|儿童|妇幼保健|社区|乡镇|村级|新建|培训|职业|技术|职业技术|外国语|双语|"
    "农贸|菜|生鲜|综合|商业|城市|市民|人民|体育|文化|湿地|森林|生态|动物|植物|儿童)*"
)


def _is_kind_name(key: str) -> bool:
    """A key that names a kind of place ("实验小学", "配套幼儿园", "农贸市场"), not one place."""
    for suffix in _KIND_SUFFIXES:
        if key.endswith(suffix):
            stem = key[: -len(suffix)]
            return not stem or _KIND_WORDS.fullmatch(stem) is not None
    return False


@dataclass(frozen=True)
class Message:
    id: str
    title: str
    body: str
    created_at: datetime
    reporter: str
    likes: int = 0
    against: int = 0
    # A known area name or code when the product has one (cases have areas); else extracted from text.
    place: str = ""


@dataclass(frozen=True)
class HotIssue:
    label: str  # place + problem keywords, e.g. "A5区魅力之城小区 · 油烟 噪音"
    place: str
    keywords: tuple[str, ...]
    message_ids: tuple[str, ...]  # by time
    messages: int
    reporters: int
    likes: int
    first_at: datetime
    last_at: datetime
    spread_days: float
    heat: float


def heat_index(
    *,
    messages: int,
    reporters: int,
    likes: int,
    active_days: int,
    last_at: datetime,
    now: datetime,
) -> float:
    """Heat of one issue: about how many people raised or backed it, kept up and recent.

        people      = reporters + REPEAT_WEIGHT·(messages − reporters) + LIKE_WEIGHT·ln(1 + likes)
        persistence = 1 + PERSISTENCE_WEIGHT·ln(active days)
        recency     = RECENCY_FLOOR + (1 − RECENCY_FLOOR)·0.5 ** (days since the last message / half-life)
        heat        = people × persistence × recency

    Distinct reporters count fully: fifty residents are a hotter issue than one resident posting fifty
    times, whose repeats count half. Likes are readers who back the issue without writing, on a log
    scale because one shared message can collect hundreds (58车贷: about 800 likes on each of three
    messages; 2,000 likes count like 15 more reporters, 50 likes like 8). Active days (days with at
    least one message) reward an issue that keeps coming back over a one-day burst. Recency halves
    every RECENCY_HALF_LIFE_DAYS down to a floor, so a large old issue stays visible in a year-long
    review while a new issue of the same size ranks above it.
    Every factor is monotonic: more of any one, the rest equal, never cools an issue.
    """
    repeats = max(0, messages - reporters)
    people = reporters + REPEAT_WEIGHT * repeats + LIKE_WEIGHT * math.log1p(max(0, likes))
    persistence = 1 + PERSISTENCE_WEIGHT * math.log(max(1, active_days))
    age_days = max(0.0, (now - last_at).total_seconds() / 86400)
    recency = RECENCY_FLOOR + (1 - RECENCY_FLOOR) * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
    return people * persistence * recency


_NOT_CONTENT = re.compile(r"[^\w]|_", re.UNICODE)


def repost_key(body: str) -> str:
    """The body with width, case, spaces and punctuation normalised away: equal keys are reposts."""
    return _NOT_CONTENT.sub("", unicodedata.normalize("NFKC", body).lower())


@dataclass(frozen=True)
class _Prepared:
    title: str  # normalised, place names blanked
    body: str
    places: tuple[str, ...]  # place keys of the title (else the body's main one), main first; () if none
    mentioned: frozenset[str]  # every place key of title and body
    place_name: str  # the main place as written, for labels


def _blank(text: str, places: list[Place]) -> str:
    characters = list(text)
    for place in places:
        if place.kind in _MASKED_KINDS:
            characters[place.start : place.start + len(place.name)] = " " * len(place.name)
    return "".join(characters)


def _located(places: list[Place]) -> list[tuple[Place, str]]:
    """(place, key) of the mentions specific enough to locate an issue: a community or finer, and not
    a kind of place ("配套小学")."""
    located = []
    for place in places:
        if SPECIFICITY[place.kind] >= SPECIFICITY["community"]:
            key = name_key(place.name)
            if key and not _is_kind_name(key):
                located.append((place, key))
    return located


def _most_specific(located: list[tuple[Place, str]]) -> tuple[Place, str] | None:
    if not located:
        return None
    return max(located, key=lambda pair: (SPECIFICITY[pair[0].kind], -pair[0].start))


def _prepare(message: Message) -> _Prepared:
    title, body = normalise(message.title), normalise(message.body)
    title_places, body_places = extract_places(title), extract_places(body)
    in_title, in_body = _located(title_places), _located(body_places)
    mentioned = frozenset(key for _, key in in_title + in_body)
    best = _most_specific(in_title) or _most_specific(in_body)
    places: tuple[str, ...]
    if message.place:
        places, name = (message.place,), message.place
        mentioned |= {message.place}
    elif best is not None:
        # The title's other places count too: "晟通城或者金桥国际" is at both.
        places = tuple(dict.fromkeys([best[1], *(key for _, key in in_title)]))
        name = best[0].name
    else:
        places, name = (), ""
    return _Prepared(_blank(title, title_places), _blank(body, body_places), places, mentioned, name)


class _PlaceMatcher:
    """Whether two messages are at the same place, at two different places, or we do not know.

    Two keys match when equal, or when the shorter one (at least _MIN_AFFIX_KEY characters) ends or
    starts the longer one (万科魅力之城 / 魅力之城, 伊景园 / 伊景园滨河苑), unless the shorter one names a
    kind of place rather than one place (职业技术学院, 农贸市场, 配套小学): see _is_kind_name.
    """

    def __init__(self, prepared: Sequence[_Prepared]) -> None:
        self.places = [p.places for p in prepared]
        self.mentioned = [p.mentioned for p in prepared]
        # Matching keys share their first or last _MIN_AFFIX_KEY characters: look only there.
        by_affix: dict[str, set[str]] = defaultdict(set)
        for key in {key for keys in self.mentioned for key in keys}:
            if len(key) >= _MIN_AFFIX_KEY:
                by_affix["^" + key[:_MIN_AFFIX_KEY]].add(key)
                by_affix[key[-_MIN_AFFIX_KEY:] + "$"].add(key)
        matches: dict[str, frozenset[str]] = {}
        for key in {key for keys in self.places for key in keys}:
            near = by_affix.get("^" + key[:_MIN_AFFIX_KEY], set()) | by_affix.get(
                key[-_MIN_AFFIX_KEY:] + "$", set()
            )
            matches[key] = frozenset({key} | {other for other in near if self.same_key(key, other)})
        # Every key a message's own places match: it is at the same place as whoever mentions one.
        self.reach = [frozenset().union(*(matches[key] for key in keys)) for keys in self.places]

    @staticmethod
    def same_key(first: str, second: str) -> bool:
        if first == second:
            return True
        short, long = (first, second) if len(first) < len(second) else (second, first)
        return (
            len(short) >= _MIN_AFFIX_KEY
            and (long.endswith(short) or long.startswith(short))
            and not _is_kind_name(short)
        )

    def relation(self, first: int, second: int) -> int:
        """1: a title place of one is mentioned by the other; -1: both have places, none shared;
        0: at least one message names no place."""
        if not self.places[first] or not self.places[second]:
            return 0
        if self.reach[first] & self.mentioned[second] or self.reach[second] & self.mentioned[first]:
            return 1
        return -1

    def same_place_pairs(self) -> set[tuple[int, int]]:
        """Every pair (i < j) with relation 1, from an index of who mentions which key."""
        mentioners: dict[str, list[int]] = defaultdict(list)
        for index, keys in enumerate(self.mentioned):
            if self.places[index]:
                for key in keys:
                    mentioners[key].append(index)
        pairs: set[tuple[int, int]] = set()
        for index, reach in enumerate(self.reach):
            for key in reach:
                for other in mentioners.get(key, ()):
                    if other != index:
                        pairs.add((index, other) if index < other else (other, index))
        return pairs


def _rare_part(matrix: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """The matrix with only the columns found in at most `limit` rows."""
    frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
    rare = sp.csr_matrix(matrix @ sp.diags((frequency <= limit).astype(float)))
    rare.eliminate_zeros()
    return rare


def _candidate_pairs(
    titles: sp.csr_matrix, bodies: sp.csr_matrix, matcher: _PlaceMatcher
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) worth scoring: the same place, or a text score of at least CANDIDATE_FLOOR
    counting rare bigrams only.

    A bigram is rare when at most RARE_LIMIT messages have it. Two messages about the same problem
    share its specific words (搅拌站, 捆绑, 车贷); common bigrams would make every pair a candidate and
    the product quadratic. A fixed limit (not a share) keeps the work about linear in the number of
    messages: each rare bigram adds at most RARE_LIMIT² pairs. Scoring then uses all bigrams.
    """
    rare_titles, rare_bodies = _rare_part(titles, RARE_LIMIT), _rare_part(bodies, RARE_LIMIT)
    partial = sp.triu(
        TITLE_WEIGHT * (rare_titles @ rare_titles.T) + (1 - TITLE_WEIGHT) * (rare_bodies @ rare_bodies.T), k=1
    ).tocoo()
    keep = partial.data >= CANDIDATE_FLOOR
    first, second = [partial.row[keep].astype(np.int64)], [partial.col[keep].astype(np.int64)]
    same_pairs = matcher.same_place_pairs()
    same_first = [i for i, _ in same_pairs]
    same_second = [j for _, j in same_pairs]
    first.append(np.array(same_first, dtype=np.int64))
    second.append(np.array(same_second, dtype=np.int64))
    pairs = np.unique(np.vstack([np.concatenate(first), np.concatenate(second)]), axis=1)
    return pairs[0], pairs[1]


def _row_dots(matrix: sp.csr_matrix, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """matrix[first[k]] · matrix[second[k]] for every k.

    Row blocks against their partners: one sparse product per block instead of copying a row per
    pair (which costs more than the products themselves).
    """
    result = np.zeros(len(first))
    order = np.argsort(first, kind="stable")
    rows_sorted = first[order]
    block_rows = 256
    distinct_rows = np.unique(rows_sorted)
    for begin in range(0, len(distinct_rows), block_rows):
        rows = distinct_rows[begin : begin + block_rows]
        lo, hi = np.searchsorted(rows_sorted, [rows[0], rows[-1] + 1])
        selected = order[lo:hi]
        partners, partner_column = np.unique(second[selected], return_inverse=True)
        products = (matrix[rows] @ matrix[partners].T).toarray()
        result[selected] = products[np.searchsorted(rows, first[selected]), partner_column]
    return result


class _Vector:
    """A sparse vector as (sorted column indices, values): cheap to add and to dot for small groups."""

    __slots__ = ("columns", "values")

    def __init__(self, columns: np.ndarray, values: np.ndarray) -> None:
        self.columns, self.values = columns, values

    @classmethod
    def row(cls, matrix: sp.csr_matrix, index: int) -> "_Vector":
        begin, end = matrix.indptr[index], matrix.indptr[index + 1]
        order = np.argsort(matrix.indices[begin:end])
        return cls(matrix.indices[begin:end][order], matrix.data[begin:end][order])

    def __add__(self, other: "_Vector") -> "_Vector":
        columns, inverse = np.unique(np.concatenate((self.columns, other.columns)), return_inverse=True)
        values = np.bincount(
            inverse, weights=np.concatenate((self.values, other.values)), minlength=len(columns)
        )
        return _Vector(columns, values)

    def cosine(self, other: "_Vector") -> float:
        norms = math.sqrt(float(self.values @ self.values) * float(other.values @ other.values))
        if norms == 0:
            return 0.0
        _, mine, theirs = np.intersect1d(self.columns, other.columns, assume_unique=True, return_indices=True)
        return float(self.values[mine] @ other.values[theirs]) / norms


class _Groups:
    """Agglomeration state: per group its members, summed title and body vectors, place sets."""

    def __init__(self, titles: sp.csr_matrix, bodies: sp.csr_matrix, matcher: _PlaceMatcher) -> None:
        self.titles, self.bodies, self.matcher = titles, bodies, matcher
        self.members: dict[int, list[int]] = {}
        self._title_sum: dict[int, _Vector] = {}
        self._body_sum: dict[int, _Vector] = {}

    def _sums(self, group: int) -> tuple[_Vector, _Vector]:
        if group not in self._title_sum:
            members = self.members[group]
            title, body = _Vector.row(self.titles, members[0]), _Vector.row(self.bodies, members[0])
            for index in members[1:]:
                title, body = title + _Vector.row(self.titles, index), body + _Vector.row(self.bodies, index)
            self._title_sum[group], self._body_sum[group] = title, body
        return self._title_sum[group], self._body_sum[group]

    def merge(self, first: int, second: int, group: int) -> None:
        first_title, first_body = self._sums(first)
        second_title, second_body = self._sums(second)
        self.members[group] = self.members.pop(first) + self.members.pop(second)
        self._title_sum[group], self._body_sum[group] = first_title + second_title, first_body + second_body
        for sums in (self._title_sum, self._body_sum):
            del sums[first], sums[second]

    def score(self, first: int, second: int) -> float:
        """Linkage of two groups: the pair score (module docstring) of their centroids.

        Text: cosine of the summed vectors, which for groups of one is the pair's own cosine. A
        centroid keeps the words a group shares (油烟, 噪音, 门面) and averages away each member's own,
        so a new message joins an issue when it is close to what the issue is about, not to every
        single message of it. Place: the mean over all cross pairs of the bonus or penalty.
        """
        first_title, first_body = self._sums(first)
        second_title, second_body = self._sums(second)
        text = TITLE_WEIGHT * first_title.cosine(second_title) + (1 - TITLE_WEIGHT) * first_body.cosine(
            second_body
        )
        located = [i for i in self.members[second] if self.matcher.places[i]]
        same = other = 0
        for i in self.members[first]:
            if self.matcher.places[i]:
                for j in located:
                    if self.matcher.relation(i, j) > 0:
                        same += 1
                    else:
                        other += 1
        place = SAME_PLACE_BONUS * same - OTHER_PLACE_PENALTY * other
        if text < MIN_TEXT_SIMILARITY:
            return text  # a shared place alone does not make the same problem
        pairs = len(self.members[first]) * len(self.members[second])
        return text + place / pairs


def cluster_messages(messages: Sequence[Message]) -> list[list[int]]:
    """Groups of message indexes, one per issue (singletons included), each sorted, by first index."""
    return _cluster(messages, [_prepare(message) for message in messages])


def _cluster(messages: Sequence[Message], prepared: Sequence[_Prepared]) -> list[list[int]]:
    if not messages:
        return []
    matcher = _PlaceMatcher(prepared)
    titles = bigram_vectors([p.title for p in prepared])
    # In a small set every word of the issue is "frequent": drop only what 50 bodies or more share.
    max_df = max(BODY_MAX_DF, BODY_MAX_DF_FLOOR / len(prepared))
    bodies = bigram_vectors([p.body for p in prepared], max_df=max_df)
    groups = _Groups(titles, bodies, matcher)

    # Reposts start together.
    by_body: dict[str, list[int]] = defaultdict(list)
    for index, message in enumerate(messages):
        by_body[repost_key(message.body) or f"\x00{index}"].append(index)
    group_of = [0] * len(messages)
    for group, members in enumerate(by_body.values()):
        groups.members[group] = members
        for index in members:
            group_of[index] = group
    next_group = len(by_body)

    # Candidate pairs whose own score reaches the threshold link groups that may merge.
    first, second = _candidate_pairs(titles, bodies, matcher)
    text = TITLE_WEIGHT * _row_dots(titles, first, second) + (1 - TITLE_WEIGHT) * _row_dots(
        bodies, first, second
    )
    bonus = {1: SAME_PLACE_BONUS, 0: 0.0, -1: -OTHER_PLACE_PENALTY}
    place = np.array(
        [bonus[matcher.relation(i, j)] for i, j in zip(first.tolist(), second.tolist(), strict=True)]
    )
    score = np.where(text >= MIN_TEXT_SIMILARITY, text + place, text)
    strong = score >= MERGE_THRESHOLD if len(first) else np.zeros(0, dtype=bool)
    neighbours: dict[int, set[int]] = defaultdict(set)
    for i, j in zip(first[strong].tolist(), second[strong].tolist(), strict=True):
        a, b = group_of[i], group_of[j]
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)

    heap: list[tuple[float, int, int]] = []
    for a, around in neighbours.items():
        for b in around:
            if a < b:
                heappush(heap, (-groups.score(a, b), a, b))
    while heap:
        negative, a, b = heappop(heap)
        if -negative < MERGE_THRESHOLD:
            break
        if a not in groups.members or b not in groups.members:
            continue  # one of them was merged since: its scores were pushed again
        merged = next_group
        next_group += 1
        groups.merge(a, b, merged)
        around = (neighbours.pop(a, set()) | neighbours.pop(b, set())) - {a, b}
        neighbours[merged] = around
        for other in around:
            neighbours[other] -= {a, b}
            neighbours[other].add(merged)
            heappush(heap, (-groups.score(merged, other), merged, other))
    return sorted((sorted(members) for members in groups.members.values()), key=lambda m: m[0])


# Title bigrams that say nothing about the problem, whatever their idf.
_FILLER = re.compile(
    "投诉|反映|反应|举报|咨询|请问|询问|建议|希望|要求|请求|恳请|关于|问题|严重|何时|什么|时候|能否|能不能|是否|"
    "为什么|怎么|如何|解决|处理|相关|部门|领导|政府|市民|居民|业主|我们|一下|一个|还是|已经|没有|不能|"
    "附近|周边|旁边|小区|社区|合理|合法|违规|违法"
)


def _problem_keywords(
    titles: Sequence[str], document_frequency: Counter[str], documents: int, limit: int = 3
) -> list[str]:
    """The problem words of a group: phrases made of its most distinctive title bigrams.

    A bigram scores (titles of the group containing it) × idf over all titles; runs of adjacent
    top bigrams join into phrases ("搅拌" + "拌站" = "搅拌站"); the best `limit` distinct phrases win.
    Place names are already blanked out of the titles, so what is left is the problem.
    """
    cleaned = [_FILLER.sub(" ", title) for title in titles]
    present: Counter[str] = Counter()
    for title in cleaned:
        present.update({title[i : i + 2] for i in range(len(title) - 1) if _is_word(title[i : i + 2])})
    if not present:
        return []
    scores = {
        bigram: count * math.log((1 + documents) / (1 + document_frequency.get(bigram, 0)))
        for bigram, count in present.items()
        if count >= min(2, len(titles))
    }
    top = dict(sorted(scores.items(), key=lambda item: -item[1])[:16])
    phrases: Counter[str] = Counter()
    for title in cleaned:
        position = 0
        while position < len(title) - 1:
            if title[position : position + 2] not in top:
                position += 1
                continue
            end = position + 2
            while end < len(title) and title[end - 1 : end + 1] in top:
                end += 1
            phrases[title[position:end]] += 1
            position = end
    ranked = sorted(
        phrases, key=lambda phrase: -sum(top.get(phrase[i : i + 2], 0.0) for i in range(len(phrase) - 1))
    )
    chosen: list[str] = []
    used: set[str] = set()
    for phrase in ranked:
        bigrams = {phrase[i : i + 2] for i in range(len(phrase) - 1)}
        if phrases[phrase] >= min(2, len(titles)) and not bigrams & used:
            chosen.append(phrase)
            used |= bigrams
        if len(chosen) == limit:
            break
    return chosen


_FUNCTION_CHARACTERS = frozenset(
    "的了是在和与及或对把被从给让将就都也还又很这那该本其我你他她它们请说要想不有个为到过着吗呢吧啊"
)


def _is_word(bigram: str) -> bool:
    return len(bigram) == 2 and all(
        "\u4e00" <= c <= "\u9fff" and c not in _FUNCTION_CHARACTERS for c in bigram
    )


def _bigram_document_frequency(titles: Sequence[str]) -> Counter[str]:
    frequency: Counter[str] = Counter()
    for title in titles:
        frequency.update({title[i : i + 2] for i in range(len(title) - 1)})
    return frequency


def find_hot_issues(
    messages: Sequence[Message],
    *,
    now: datetime | None = None,
    window_days: float | None = None,
    min_messages: int = 2,
) -> list[HotIssue]:
    """The issues of at least `min_messages` messages, hottest first.

    `now` (default: the newest message) is the reference for recency, and messages after it are left
    out; with `window_days`, so are messages older than now − window_days.
    """
    if now is None:
        if not messages:
            return []
        now = max(message.created_at for message in messages)
    start = now - timedelta(days=window_days) if window_days is not None else None
    selected = [m for m in messages if m.created_at <= now and (start is None or m.created_at > start)]
    prepared = [_prepare(message) for message in selected]
    frequency = _bigram_document_frequency([p.title for p in prepared])
    issues = [
        _issue([selected[i] for i in group], [prepared[i] for i in group], frequency, len(prepared), now)
        for group in _cluster(selected, prepared)
        if len(group) >= max(1, min_messages)
    ]
    return sorted(issues, key=lambda issue: (-issue.heat, -issue.messages, issue.first_at))


_DISTRICT = re.compile(r"[A-Z]\d*[市区县]")


def _issue(
    members: list[Message], prepared: list[_Prepared], frequency: Counter[str], documents: int, now: datetime
) -> HotIssue:
    order = sorted(range(len(members)), key=lambda k: (members[k].created_at, members[k].id))
    members = [members[k] for k in order]
    prepared = [prepared[k] for k in order]
    names = Counter(p.place_name for p in prepared if p.place_name)
    place = names.most_common(1)[0][0] if names else ""
    if place and not _DISTRICT.match(place):
        # "A5区" in front of the estate when the members name one: the estate alone may be ambiguous.
        districts = Counter(d for m in members for d in set(re.findall(r"[A-Z]\d+[区县]", m.title)))
        if districts:
            place = districts.most_common(1)[0][0] + place
    titles = [p.title.replace(names.most_common(1)[0][0], " ") if names else p.title for p in prepared]
    words = tuple(_problem_keywords(titles, frequency, documents))
    label = " · ".join(part for part in (place, " ".join(words)) if part) or members[0].title[:20]
    reporters = len({m.reporter for m in members if m.reporter}) + sum(1 for m in members if not m.reporter)
    likes = sum(max(0, m.likes) for m in members)
    first_at, last_at = members[0].created_at, members[-1].created_at
    active_days = len({m.created_at.date() for m in members})
    return HotIssue(
        label=label,
        place=place,
        keywords=words,
        message_ids=tuple(m.id for m in members),
        messages=len(members),
        reporters=reporters,
        likes=likes,
        first_at=first_at,
        last_at=last_at,
        spread_days=(last_at - first_at).total_seconds() / 86400,
        heat=heat_index(
            messages=len(members),
            reporters=reporters,
            likes=likes,
            active_days=active_days,
            last_at=last_at,
            now=now,
        ),
    )
