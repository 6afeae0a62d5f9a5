"""The one list of periodic jobs (DESIGN.md §6): `manage.py run_scheduler` runs each one every
`interval_seconds`, after firing the due deadlines of the pass.

A job is an action that takes no argument and returns a report (anything with `as_dict()` is
printed as a dict). Add a job here when a domain needs one; its work stays in the domain's actions.
The scheduler finds this module through settings.GRIDGOV_SCHEDULE_MODULE (default "config.schedule").
"""

from importlib.util import find_spec
from typing import NamedTuple


class PeriodicJob(NamedTuple):
    name: str
    interval_seconds: float
    path: str  # dotted path of the callable


def _module_exists(path: str) -> bool:
    """Whether the job's module is in this checkout: a domain may not be there yet."""
    try:
        return find_spec(path.rpartition(".")[0]) is not None
    except ModuleNotFoundError:
        return False


JOBS: list[PeriodicJob] = [
    job
    for job in [
        # Webhook deliveries that are due (new, or waiting for a retry after their backoff).
        PeriodicJob(
            "notifications.deliver_webhooks", 30, "gridgov.notifications.actions.deliver_due_webhooks"
        ),
    ]
    if _module_exists(job.path)
]
