"""manage.py hot_issues --input CSV [--top N] [--window-days D] [--now ISO] [--min-messages M] [--json]."""

import csv
import json
from argparse import ArgumentParser
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.intelligence.hot_issues import HotIssue, Message, find_hot_issues

REQUIRED_COLUMNS = ("title", "body", "created_at")
TITLES_SHOWN = 5


class Command(BaseCommand):
    help = (
        "Group the messages of a CSV file into hot issues (same place, same problem) and print the "
        "hottest. Columns: title, body, created_at; optional message_id, user, likes, against."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="a UTF-8 CSV file with a header row")
        parser.add_argument("--top", type=int, default=5, help="how many issues to print (default 5)")
        parser.add_argument(
            "--window-days", type=float, default=None, help="only messages of the last D days before --now"
        )
        parser.add_argument(
            "--now", default=None, help="reference time for recency, ISO 8601 (default: the newest message)"
        )
        parser.add_argument(
            "--min-messages", type=int, default=2, help="smallest issue size shown (default 2)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of the table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["top"] < 1:
            raise CommandError(_("--top must be at least 1."))
        messages = read_messages(options["input"])
        now = parse_time(options["now"], "--now") if options["now"] else None
        if now is not None and messages and (now.tzinfo is None) != (messages[0].created_at.tzinfo is None):
            raise CommandError(
                _("--now and the created_at column must both have a time zone or both have none.")
            )
        issues = find_hot_issues(
            messages, now=now, window_days=options["window_days"], min_messages=options["min_messages"]
        )[: options["top"]]
        titles = {message.id: message.title for message in messages}
        if options["json"]:
            self.stdout.write(
                json.dumps([as_json(issue, titles) for issue in issues], ensure_ascii=False, indent=2)
            )
            return
        if not issues:
            self.stdout.write(
                _("No issue has at least %(count)d messages.") % {"count": options["min_messages"]}
            )
            return
        for rank, issue in enumerate(issues, start=1):
            self.stdout.write(
                _(
                    "#%(rank)d  heat %(heat).1f  messages %(messages)d  reporters %(reporters)d  likes "
                    "%(likes)d  %(first)s → %(last)s  %(label)s"
                )
                % {
                    "rank": rank,
                    "heat": issue.heat,
                    "messages": issue.messages,
                    "reporters": issue.reporters,
                    "likes": issue.likes,
                    "first": issue.first_at.date().isoformat(),
                    "last": issue.last_at.date().isoformat(),
                    "label": issue.label,
                }
            )
            for message_id in issue.message_ids[:TITLES_SHOWN]:
                self.stdout.write(f"      {message_id}  {titles[message_id]}")
            if issue.messages > TITLES_SHOWN:
                self.stdout.write(
                    "      " + _("… and %(count)d more") % {"count": issue.messages - TITLES_SHOWN}
                )


def read_messages(path: Path) -> list[Message]:
    """The messages of a CSV file; CommandError naming the file, row or column that is wrong."""
    if not path.is_file():
        raise CommandError(_("%(path)s does not exist.") % {"path": path})
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [column for column in REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise CommandError(
                _("%(path)s lacks the column(s) %(missing)s; it needs %(required)s.")
                % {"path": path, "missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)}
            )
        messages = []
        for line, raw in enumerate(reader, start=2):
            row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
            messages.append(
                Message(
                    id=row.get("message_id") or str(line - 1),
                    title=row["title"],
                    body=row["body"],
                    created_at=parse_time(row["created_at"], _("line %(line)d, created_at") % {"line": line}),
                    reporter=row.get("user", ""),
                    likes=parse_count(row.get("likes", ""), line, "likes"),
                    against=parse_count(row.get("against", ""), line, "against"),
                )
            )
    return messages


def parse_time(value: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("/", "-"))
    except ValueError:
        raise CommandError(
            _("%(where)s: %(value)r is not a date and time (expected e.g. 2019-11-02 16:54:42).")
            % {"where": where, "value": value}
        ) from None


def parse_count(value: str, line: int, column: str) -> int:
    if not value:
        return 0
    try:
        return int(float(value))
    except ValueError:
        raise CommandError(
            _("line %(line)d, %(column)s: %(value)r is not a number.")
            % {"line": line, "column": column, "value": value}
        ) from None


def as_json(issue: HotIssue, titles: dict[str, str]) -> dict[str, Any]:
    return {
        "label": issue.label,
        "place": issue.place,
        "keywords": list(issue.keywords),
        "heat": round(issue.heat, 3),
        "messages": issue.messages,
        "reporters": issue.reporters,
        "likes": issue.likes,
        "first_at": issue.first_at.isoformat(),
        "last_at": issue.last_at.isoformat(),
        "spread_days": round(issue.spread_days, 2),
        "message_ids": list(issue.message_ids),
        "titles": [titles[message_id] for message_id in issue.message_ids],
    }
