"""Reads of the intelligence domain."""

from gridgov.intelligence.models import LabelledExample


def labelled_examples() -> list[tuple[str, str]]:
    """(text, first-level label) of every example people gave in the product, oldest first.

    A case re-categorised twice yields its latest decision only: the last word is the right one.
    """
    latest: dict[object, tuple[str, str]] = {}
    for pk, case_id, text, label in LabelledExample.objects.order_by("id").values_list(
        "id", "case_id", "text", "label"
    ):
        latest[case_id if case_id is not None else ("row", pk)] = (text, label)
    return list(latest.values())
