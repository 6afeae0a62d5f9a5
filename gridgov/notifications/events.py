"""Webhook event types and the patterns endpoints subscribe with. No database.

An event type is lower-case words joined by dots, the domain first: "case.created", "case.overdue",
"deadline.warning". An endpoint lists event types or families ("case.*"); "*" or an empty list
means every event.
"""

import re
from collections.abc import Sequence

EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
MAX_EVENT_TYPE_LENGTH = 100


def is_event_type(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) <= MAX_EVENT_TYPE_LENGTH and bool(EVENT_TYPE.fullmatch(value))
    )


def is_event_pattern(value: object) -> bool:
    """An event type, a family ("case.*") or "*"."""
    if value == "*":
        return True
    if isinstance(value, str) and value.endswith(".*"):
        return is_event_type(value[:-2])
    return is_event_type(value)


def bad_event_patterns(patterns: object) -> list[str]:
    """Why `patterns` cannot be an endpoint's event types: one text per bad entry; empty when good."""
    if not isinstance(patterns, list):
        return ["must be a JSON list of event types"]
    return [
        f"not an event type or family: {pattern!r}" for pattern in patterns if not is_event_pattern(pattern)
    ]


def pattern_matches(patterns: Sequence[str], event_type: str) -> bool:
    """Whether a subscription to `patterns` receives `event_type`; no patterns means everything."""
    if not patterns:
        return True
    for pattern in patterns:
        if pattern in (event_type, "*"):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
