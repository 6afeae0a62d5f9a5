from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class EvaluationSubjectNotFound(NotFound):
    """The area or department is missing or outside the caller's scope (the caller cannot tell which)."""

    code = "evaluation_subject_not_found"
    default_message = _("No such area or department, or it is outside your data scope.")


class PeriodInvalid(InvalidInput):
    code = "evaluation_period_invalid"
    default_message = _("The period is not valid: give a start before the end, at most 400 days apart.")


class RankingKeyInvalid(InvalidInput):
    code = "evaluation_ranking_invalid"
    default_message = _("Rankings are by the score or by one of the indicator rates.")


class ScoringSchemeInvalid(InvalidInput):
    code = "scoring_scheme_invalid"
    default_message = _("The scoring scheme is not valid; nothing was changed.")
