"""The service attributes (GeoReport v2 "service definition") every service offers, and their parsing.

Categories carry no per-category questions yet, so every service asks the same three optional
questions. A client sends the answers as `attribute[<code>]=<value>` form fields; unknown codes and
values that do not fit the datatype are refused with a 400, so a typo in a client shows at once.

Where the answers go (docs/open311.md):
- `urgent` sets the report's urgent flag (the intake clerk confirms or clears it when registering);
- `landmark` and `observed_at` are appended to the case description as labelled lines, so the
  dispatcher sees them;
- all raw answers are kept in the data of the case's `open311_received` event.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.open311.dates import format_w3c, parse_w3c


class Datatype:
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLE_VALUE_LIST = "singlevaluelist"
    MULTI_VALUE_LIST = "multivaluelist"


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str | Promise


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    order: int
    label: str | Promise
    description: str | Promise
    datatype_description: str | Promise = ""
    required: bool = False
    # False: the attribute only shows information to the user; no answer is expected.
    variable: bool = True
    values: tuple[AttributeValue, ...] = ()
    max_length: int = 100


YES = "yes"
NO = "no"

URGENT = Attribute(
    code="urgent",
    datatype=Datatype.SINGLE_VALUE_LIST,
    order=1,
    label=_("urgent"),
    description=_(
        "Is anyone or anything in immediate danger (an open manhole, a burst pipe, a fallen wire)?"
    ),
    datatype_description=_("Choose yes or no."),
    values=(AttributeValue(YES, _("yes")), AttributeValue(NO, _("no"))),
)
LANDMARK = Attribute(
    code="landmark",
    datatype=Datatype.STRING,
    order=2,
    label=_("landmark"),
    description=_(
        "A landmark near the problem that helps the grid worker find it: a shop, a lamp-post number."
    ),
    datatype_description=_("At most 100 characters."),
)
OBSERVED_AT = Attribute(
    code="observed_at",
    datatype=Datatype.DATETIME,
    order=3,
    label=_("noticed at"),
    description=_("When you noticed the problem, if that was not just now."),
    datatype_description=_("A W3C datetime, e.g. 2026-11-22T08:30:00+08:00."),
)

ATTRIBUTES: tuple[Attribute, ...] = (URGENT, LANDMARK, OBSERVED_AT)


def attributes_for_service(service_code: str) -> tuple[Attribute, ...]:
    """The questions of one service; today the same for every service (see the module docstring)."""
    return ATTRIBUTES


@dataclass
class Answers:
    """Parsed attribute answers: the urgent flag, raw values by code, and problems found."""

    is_urgent: bool = False
    values: dict[str, str] = field(default_factory=dict)
    observed_at: datetime | None = None
    problems: list[str] = field(default_factory=list)

    def description_lines(self) -> list[str]:
        """Labelled lines for the case description (landmark, time noticed)."""
        lines = []
        if self.values.get(LANDMARK.code):
            lines.append(f"{LANDMARK.label}: {self.values[LANDMARK.code]}")
        if self.observed_at is not None:
            lines.append(f"{OBSERVED_AT.label}: {format_w3c(self.observed_at)}")
        return lines


def parse_answers(raw: Mapping[str, Sequence[str]], attributes: Sequence[Attribute]) -> Answers:
    """Check `raw` (code → the values sent; several for attribute[code][]) against `attributes`.

    An empty answer is the same as no answer (GeoReport: an empty optional parameter is absent).
    """
    answers = Answers()
    by_code = {attribute.code: attribute for attribute in attributes}
    for code in sorted(raw):
        if code not in by_code:
            answers.problems.append(
                gettext("attribute[%(code)s]: no such attribute for this service") % {"code": code}
            )
    for attribute in attributes:
        sent = [value.strip() for value in raw.get(attribute.code, ()) if value.strip()]
        if not sent:
            if attribute.required:
                answers.problems.append(gettext("attribute[%(code)s]: required") % {"code": attribute.code})
            continue
        if len(sent) > 1 and attribute.datatype != Datatype.MULTI_VALUE_LIST:
            answers.problems.append(
                gettext("attribute[%(code)s]: takes one value") % {"code": attribute.code}
            )
            continue
        value = sent[0]
        problem = _check(attribute, value)
        if problem:
            answers.problems.append(f"attribute[{attribute.code}]: {problem}")
            continue
        answers.values[attribute.code] = value
    answers.is_urgent = answers.values.get(URGENT.code) == YES
    if OBSERVED_AT.code in answers.values:
        answers.observed_at = parse_w3c(answers.values[OBSERVED_AT.code])
    return answers


def _check(attribute: Attribute, value: str) -> str:
    if attribute.datatype in (Datatype.SINGLE_VALUE_LIST, Datatype.MULTI_VALUE_LIST):
        keys = [choice.key for choice in attribute.values]
        return "" if value in keys else gettext("one of %(keys)s") % {"keys": ", ".join(keys)}
    if attribute.datatype == Datatype.DATETIME:
        return (
            ""
            if parse_w3c(value) is not None
            else gettext("a W3C datetime such as 2026-11-22T08:30:00+08:00")
        )
    if attribute.datatype == Datatype.NUMBER:
        try:
            float(value)
        except ValueError:
            return gettext("a number")
        return ""
    if len(value) > attribute.max_length:
        return gettext("at most %(count)d characters") % {"count": attribute.max_length}
    return ""
