import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_recent(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Today's and yesterday's counts from the assignment log, so caps hold across the upgrade."""
    from collections import Counter
    from datetime import timedelta

    from django.utils import timezone

    from xiaoguan.core.clock import org_tz

    LeadAssignment = apps.get_model("leads", "LeadAssignment")
    RepDailyIntake = apps.get_model("leads", "RepDailyIntake")
    since = timezone.now() - timedelta(days=2)
    counts: Counter[tuple[int, object]] = Counter()
    for rep_id, at in LeadAssignment.objects.filter(at__gte=since, rep__isnull=False).exclude(kind="released").values_list("rep_id", "at"):
        counts[(rep_id, at.astimezone(org_tz()).date())] += 1
    RepDailyIntake.objects.bulk_create([RepDailyIntake(rep_id=rep, day=day, assigned=n) for (rep, day), n in counts.items()])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0005_leadpolicy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RepDailyIntake",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("assigned", models.PositiveIntegerField(default=0)),
                (
                    "rep",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "每日接收线索数",
                "verbose_name_plural": "每日接收线索数",
                "constraints": [models.UniqueConstraint(fields=("rep", "day"), name="rep_daily_intake_one_per_day")],
            },
        ),
        migrations.RunPython(backfill_recent, migrations.RunPython.noop),
    ]
