"""manage.py deliver_webhooks [--limit N] [--timeout S] [--loop [--interval S]]"""

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.notifications.actions import DeliveryReport, deliver_due_webhooks

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the due webhook deliveries (POST, signed) and record each outcome; failures are tried "
        "again later with a growing delay. One pass, or --loop to keep going."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="At most this many deliveries per pass.")
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for each receiver.")
        parser.add_argument("--loop", action="store_true", help="Keep delivering until interrupted.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="With --loop: seconds to sleep after a quiet pass."
        )

    def handle(
        self, *args: Any, limit: int, timeout: float, loop: bool, interval: float, **options: Any
    ) -> None:
        if not loop:
            self.write_report(deliver_due_webhooks(limit=limit, timeout=timeout))
            return
        self.stdout.write(f"delivering webhooks every {interval:g} s; Ctrl-C stops")
        try:
            while True:
                try:
                    report = deliver_due_webhooks(limit=limit, timeout=timeout)
                except Exception:
                    # A job loop: one failed pass (a lost database connection) must not end it.
                    logger.exception("deliver_webhooks pass failed")
                    time.sleep(interval)
                    continue
                if report.attempted or report.skipped:
                    self.write_report(report)
                # A full pass means more may be due: go again at once.
                if report.attempted + report.skipped < limit:
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def write_report(self, report: DeliveryReport) -> None:
        self.stdout.write(
            f"webhooks: {report.delivered} delivered, {report.retrying} to retry, "
            f"{report.failed} given up, {report.skipped} skipped"
        )
