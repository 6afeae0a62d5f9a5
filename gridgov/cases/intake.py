"""One-sentence intake (一句话办事): understand a resident's sentence, then file it or ask one question.

    understand_sentence(text, actor=…)  → SentenceResult   reads only
    file_sentence(text, actor=…, …)     → ReportResult     the case, through actions.report_case
                                        | SentenceResult   a question to ask first; nothing written

The words are parsed by the pure `gridgov.intelligence.sentence` against the area names of the
tree (district, street and community names, also without their 社区/街道 suffix) and the category
keywords plus the catalogue's own names. The message classifier is asked through
`gridgov.intelligence.interface` and may have no model: then there is simply no suggestion.
Buildings (3幢, 2单元, 401室) are kept in the case's address as written: there is no building
registry (一标三实) to match them against yet.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.areas.queries import ancestors_of
from gridgov.cases.actions import Report, ReportResult, report_case
from gridgov.cases.models import CaseSource
from gridgov.catalogue.models import CaseCategory, CategoryScheme
from gridgov.core.area_codes import Level
from gridgov.intelligence import interface
from gridgov.intelligence import sentence as rules
from gridgov.intelligence.interface import Suggestion

KIND_LABELS: dict[str, Any] = {
    rules.KIND_PROBLEM: pgettext_lazy("sentence kind", "problem to fix"),
    rules.KIND_SERVICE: pgettext_lazy("sentence kind", "service request"),
    rules.KIND_QUESTION: pgettext_lazy("sentence kind", "question"),
}
QUESTIONS: dict[str, Any] = {
    rules.ASK_PROBLEM: gettext_lazy("What exactly is the problem?"),
    rules.ASK_PLACE: gettext_lazy("Where is it? Which residential community or building?"),
}
# Below this the classifier's class is shown as a hint only.
SUGGESTION_FLOOR = 0.5
NAMED_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
# Catalogue names too vague to mean a category when they appear in a sentence.
VAGUE_NAMES = frozenset({"其他", "其他事件", "其他设施", "其他污染"})


# ── the indexes, rebuilt when the areas or the catalogue change ────────────────────────────


@dataclass
class _Cached:
    fingerprint: tuple[Any, ...] = ()
    value: Any = None


_places = _Cached()
_keywords = _Cached()


def place_index() -> rules.PlaceIndex:
    """District, street and community names of the area tree (one aggregate query when unchanged)."""
    rows = Area.objects.filter(level__in=list(NAMED_LEVELS))
    fingerprint = tuple(
        rows.aggregate(
            count=Count("code"), changed=Max("updated_at"), last=Max("code"), name=Max("name")
        ).values()
    )
    if _places.fingerprint != fingerprint or _places.value is None:
        places = (
            rules.Place(code, name, level) for code, name, level in rows.values_list("code", "name", "level")
        )
        _places.value, _places.fingerprint = rules.PlaceIndex(places), fingerprint
    index: rules.PlaceIndex = _places.value
    return index


def category_keywords() -> tuple[tuple[str, str], ...]:
    """The curated keywords whose category exists, then every active category's own name."""
    categories = CaseCategory.objects.filter(is_active=True)
    fingerprint = tuple(categories.aggregate(count=Count("id"), changed=Max("updated_at")).values())
    if _keywords.fingerprint != fingerprint or _keywords.value is None:
        names = dict(categories.order_by("code").values_list("code", "name"))
        curated = [(word, code) for word, code in rules.KEYWORD_CATEGORIES if code in names]
        own = [(name, code) for code, name in names.items() if name not in VAGUE_NAMES and len(name) >= 2]
        _keywords.value, _keywords.fingerprint = tuple(curated + own), fingerprint
    keywords: tuple[tuple[str, str], ...] = _keywords.value
    return keywords


# ── understanding ──────────────────────────────────────────────────────────────────────────


@dataclass
class SentenceResult:
    """What one sentence (plus the answers so far) was understood to say, for the page and the API."""

    sentence: str
    answers: tuple[str, ...]
    parse: rules.SentenceParse
    area: Area | None
    area_path: list[Area]  # from the district down to `area`
    candidates: list[Area]  # areas of the same name when the place is ambiguous
    category: CaseCategory | None  # named by a keyword in the text
    suggestion: Suggestion | None  # the classifier's first-level class, when a model exists
    suggested_category: CaseCategory | None  # that class in the catalogue, when confident enough
    question: str | None  # translated; None when nothing is missing
    reply: str | None  # for a question (咨询): where it goes instead
    notes: list[str] = field(default_factory=list)
    title: str = ""
    address: str = ""

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.parse.kind])

    @property
    def is_ready(self) -> bool:
        """A problem or service request with what and where: it may be filed as it is."""
        return self.parse.is_ready

    @property
    def place_label(self) -> str:
        """东新街道 › 王马社区 › 3幢: the matched path and the building, for display."""
        names = [area.name for area in self.area_path if area.level in NAMED_LEVELS]
        if not names:
            names = [n for n in (self.parse.district, self.parse.street, self.parse.community) if n]
        details = [d for d in (self.parse.estate, self.parse.road, self.parse.premises) if d]
        return " › ".join([*names, *details])


def understand_sentence(
    text: str,
    *,
    actor: User | None,
    answers: Sequence[str] = (),
    classify: Callable[[str], Suggestion | None] | None = None,
) -> SentenceResult:
    """Parse the sentence (and the answers given so far) and match it against areas and categories."""
    del actor  # the same for everyone: area names and categories are public reference data
    classifier = classify or interface.suggest_class
    full_text = rules.combine(text, answers)
    suggestion = classifier(full_text) if full_text else None
    parse = rules.parse_sentence(
        full_text,
        places=place_index(),
        classify=lambda _text: (suggestion.label, suggestion.confidence) if suggestion else None,
        keywords=category_keywords(),
    )
    area = Area.objects.filter(pk=parse.area_code).first() if parse.area_code else None
    path = [*ancestors_of(area), area] if area is not None else []
    path = [a for a in path if a.level not in (Level.PROVINCE, Level.CITY)]
    candidates = list(Area.objects.filter(code__in=parse.area_candidates).select_related("parent"))
    category = (
        CaseCategory.objects.filter(code=parse.category_code, is_active=True).first()
        if parse.category_code
        else None
    )
    suggested = None
    if suggestion is not None and suggestion.confidence >= SUGGESTION_FLOOR:
        suggested = CaseCategory.objects.filter(
            scheme=CategoryScheme.CITIZEN_MESSAGE, depth=1, name=suggestion.label, is_active=True
        ).first()
    result = SentenceResult(
        sentence=text.strip(),
        answers=tuple(a.strip() for a in answers if a.strip()),
        parse=parse,
        area=area,
        area_path=path,
        candidates=candidates,
        category=category,
        suggestion=suggestion,
        suggested_category=suggested,
        question=question_text(parse),
        reply=_(
            "This is a question, not a problem to fix: call the 12345 hotline or look in the answers "
            "to common questions. If you like, we pass it on as a message and someone answers you."
        )
        if parse.kind == rules.KIND_QUESTION
        else None,
    )
    result.notes = notes_for(result)
    result.title = title_for(result)
    result.address = address_for(result)
    return result


def question_text(parse: rules.SentenceParse) -> str | None:
    if parse.question == rules.ASK_WHICH_PLACE:
        return _("There is more than one %(name)s. Which street is it in?") % {
            "name": parse.community or parse.street or ""
        }
    words = QUESTIONS.get(parse.question or "")
    return str(words) if words is not None else None


def notes_for(result: SentenceResult) -> list[str]:
    notes = []
    parse = result.parse
    if parse.place_conflict and result.area is not None:
        named = parse.street if result.area.level == Level.COMMUNITY else parse.district
        above = [a.name for a in result.area_path if a.level != result.area.level]
        notes.append(
            _("By the area list %(area)s is in %(parent)s, not in %(named)s; we take %(area)s.")
            % {"area": result.area.name, "parent": above[-1] if above else "", "named": named or ""}
        )
    if parse.building or parse.unit or parse.room:
        notes.append(
            _("The building is kept as you wrote it: there is no building register to check it against yet.")
        )
    return notes


def title_for(result: SentenceResult) -> str:
    parse = result.parse
    summary = parse.title or (result.category.name if result.category else "")
    summary = summary or parse.text[:60]
    if parse.kind == rules.KIND_SERVICE:
        return _("Service request: %(summary)s") % {"summary": summary}
    if parse.kind == rules.KIND_QUESTION:
        return _("Question: %(summary)s") % {"summary": summary}
    return summary


def address_for(result: SentenceResult) -> str:
    """拱墅区长庆街道王马社区3幢: the matched area path (or the names as said), then the details."""
    parse = result.parse
    names = [area.name for area in result.area_path if area.level in NAMED_LEVELS]
    if not names:
        names = [n for n in (parse.district, parse.street, parse.community) if n]
    details = [parse.estate, parse.road, parse.premises, parse.floor]
    return "".join([*names, *(d for d in details if d)])[:200]


# ── filing ─────────────────────────────────────────────────────────────────────────────────


def file_sentence(
    text: str,
    *,
    actor: User | None,
    answers: Sequence[str] = (),
    reporter_name: str = "",
    reporter_contact: str = "",
    is_anonymous: bool = False,
    idempotency_key: str = "",
    file_question: bool = False,
    classify: Callable[[str], Suggestion | None] | None = None,
) -> ReportResult | SentenceResult:
    """File the sentence as a case (source web) when it is complete; else return what to ask.

    A question (咨询) is filed only when the resident asks for it (`file_question`), as a message.
    Nothing is written when a SentenceResult comes back.
    """
    result = understand_sentence(text, actor=actor, answers=answers, classify=classify)
    parse = result.parse
    if not (result.is_ready or (parse.kind == rules.KIND_QUESTION and file_question)):
        return result
    description = "\n".join([result.sentence, *result.answers])
    return report_case(
        Report(
            source=CaseSource.WEB,
            title=result.title[:200],
            description=description,
            category_code=result.category.code if result.category else None,
            address=result.address,
            area_code=result.area.code if result.area else None,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
            is_anonymous=is_anonymous,
            idempotency_key=idempotency_key,
        ),
        actor=actor,
    )


def describe(result: SentenceResult) -> dict[str, Any]:
    """The plain data of a result (the API's SentenceOut, the page's context)."""
    parse = result.parse
    suggestion = result.suggestion
    return {
        "sentence": result.sentence,
        "answers": list(result.answers),
        "kind": parse.kind,
        "kind_label": result.kind_label,
        "kind_cue": parse.kind_cue,
        "kind_rule": parse.kind_rule,
        "phrase": parse.phrase,
        "duration": parse.duration,
        "street": parse.street,
        "community": parse.community,
        "estate": parse.estate,
        "road": parse.road,
        "building": parse.building,
        "unit": parse.unit,
        "room": parse.room,
        "floor": parse.floor,
        "area": _area_data(result.area, result.area_path),
        "candidates": [_area_data(a, []) for a in result.candidates],
        "place": result.place_label,
        "category": {"code": result.category.code, "name": result.category.name} if result.category else None,
        "suggestion": {
            "label": suggestion.label,
            "confidence": round(suggestion.confidence, 4),
            "model_version": suggestion.model_version,
            "category": result.suggested_category.code if result.suggested_category else None,
        }
        if suggestion is not None
        else None,
        "missing": list(parse.missing),
        "question_code": parse.question,
        "question": result.question,
        "ready": result.is_ready,
        "reply": result.reply,
        "notes": result.notes,
        "title": result.title,
        "address": result.address,
    }


def _area_data(area: Area | None, path: Sequence[Area]) -> dict[str, Any] | None:
    if area is None:
        return None
    parent = area.parent.name if area.parent_id and area.parent else None
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": parent,
        "path": [{"code": a.code, "name": a.name, "level": a.level} for a in path],
    }
