"""Side effects wait for the commit: a rolled-back action sends nothing."""

from collections.abc import Callable

from django.db import transaction


def after_commit(callback: Callable[[], object]) -> None:
    transaction.on_commit(callback)
