"""Seed the default scoring scheme: 按期结案率 40, 返工率 (inverted) 20, 满意率 40; rank from 10 cases.

Data, not code: administrators change the weights with evaluation.actions.save_scoring_scheme.
"""

from django.db import migrations

DEFAULT_NAME = "默认考核方案"
DEFAULT_WEIGHTS = {"on_time_closure_rate": 40, "rework_rate": 20, "satisfaction_rate": 40}


def seed(apps, schema_editor):
    ScoringScheme = apps.get_model("evaluation", "ScoringScheme")
    if not ScoringScheme.objects.filter(is_default=True).exists():
        ScoringScheme.objects.update_or_create(
            name=DEFAULT_NAME,
            defaults={
                "weights": DEFAULT_WEIGHTS,
                "min_volume": 10,
                "is_default": True,
                "note": "Seeded: 按期结案率 40, 返工率 (lower is better) 20, 满意率 40 (docs/evaluation.md).",
            },
        )


def unseed(apps, schema_editor):
    ScoringScheme = apps.get_model("evaluation", "ScoringScheme")
    ScoringScheme.objects.filter(name=DEFAULT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
