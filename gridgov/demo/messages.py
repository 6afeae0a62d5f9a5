"""Demo messages: real citizen messages through the hotline, and one hot issue, so the classifier's
routing, the dispatcher's suggestions and the hot-issue panels have something true to show.

The messages come from ../shared/data/gov-messages/unlabelled.csv (real messages to a city
government, place names anonymised); they are filed as 12345 hotline reports without a category
in urban grids of Hangzhou, so the classifier decides: confident ones are dispatched by themselves,
the others wait in the console with the top suggestions. The hot issue is six residents reporting
the same dark stairwell in one estate over five days, each choosing 路灯 on the map.
"""

import csv
import random
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings

from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.core.clock import now, pinned

DEMO_MESSAGES = 40
HOT_ISSUE_REPORTS = (
    "清波门小区3幢楼道灯坏了",
    "清波门小区3幢楼道灯坏了好几天了，晚上上下楼很黑",
    "清波门小区3幢的楼道灯不亮，老人上楼摔了一跤",
    "清波门小区3幢楼道灯坏了一周没人修",
    "清波门小区3幢楼道里的灯全坏了",
    "反映清波门小区3幢楼道灯坏了的问题",
)
HOT_ISSUE_GRID_PREFIX = "330102"  # 上城区


def load_demo_messages(*, seed: int = 11, say: Callable[[str], None] = print) -> dict[str, int]:
    """File the demo's hotline messages and the hot issue; returns how each ended up."""
    source = settings.GRIDGOV_SHARED_DATA / "gov-messages" / "unlabelled.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["title"].strip() and row["body"].strip()]
    rng = random.Random(seed)
    grids = list(
        Area.objects.filter(level="grid", code__startswith=HOT_ISSUE_GRID_PREFIX)
        .order_by("code")
        .values_list("code", "centre_lon", "centre_lat")
    )
    if not grids:
        raise LookupError("no grids in 上城区: load the areas first")
    end = now()
    counts = {"messages": 0, "auto_dispatched": 0, "hot_issue_reports": 0}
    for index, row in enumerate(rng.sample(rows, DEMO_MESSAGES)):
        code, _lon, _lat = rng.choice(grids)
        with pinned(end - timedelta(hours=72 * (DEMO_MESSAGES - index) / DEMO_MESSAGES)):
            result = actions.report_case(
                actions.Report(
                    source="hotline",
                    title=row["title"].strip()[:200],
                    description=row["body"].strip()[:4000],
                    area_code=code,
                    reporter_contact=f"1390000{index:04d}",
                    idempotency_key=f"demo-message-{row['message_id']}",
                )
            )
        counts["messages"] += 1
        counts["auto_dispatched"] += int(result.case.status == "dispatched")
    code, lon, lat = grids[len(grids) // 2]
    for index, text in enumerate(HOT_ISSUE_REPORTS):
        with pinned(end - timedelta(hours=20 * (len(HOT_ISSUE_REPORTS) - index))):
            actions.report_case(
                actions.Report(
                    # Chosen from the map by residents, so the category is theirs and the reports
                    # wait for the clerk: the console's hot-issue page can merge them into one case.
                    source="web",
                    title=text,
                    category_code="C0113",
                    lon=(lon or 0) + rng.uniform(-0.0003, 0.0003),
                    lat=(lat or 0) + rng.uniform(-0.0003, 0.0003),
                    reporter_contact=f"1391111{index:04d}",
                    idempotency_key=f"demo-hot-issue-{index}",
                )
            )
        counts["hot_issue_reports"] += 1
    say(f"  demo messages: {counts}")
    return counts
