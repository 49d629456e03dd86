"""Seed the holiday table from the bundled chinese-calendar and create the company's default working hours."""

from django.db import migrations


def seed(apps, schema_editor):
    from xiaoguan.worktime.bundled import bundled_days

    Holiday = apps.get_model("worktime", "Holiday")
    WorkSchedule = apps.get_model("worktime", "WorkSchedule")
    taken = set(Holiday.objects.values_list("date", flat=True))
    Holiday.objects.bulk_create(
        [
            Holiday(date=b.day, kind="workday" if b.is_workday else "holiday", name=b.name, origin="bundled")
            for b in sorted(bundled_days().values(), key=lambda b: b.day)
            if b.day not in taken
        ],
        batch_size=500,
    )
    if not WorkSchedule.objects.filter(team__isnull=True).exists():
        WorkSchedule.objects.create(team=None, weekdays="12345", periods="09:00-12:00,13:30-18:00")


def unseed(apps, schema_editor):
    apps.get_model("worktime", "Holiday").objects.filter(origin="bundled").delete()


class Migration(migrations.Migration):
    dependencies = [("worktime", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
