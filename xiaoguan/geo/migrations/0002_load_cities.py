"""Load the bundled cities (xiaoguan/geo/data/cities.csv) and their provinces."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "cities.csv"


def load(apps, schema_editor):
    ProvinceRegion = apps.get_model("geo", "ProvinceRegion")
    City = apps.get_model("geo", "City")
    with CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    provinces = {p.name: p for p in ProvinceRegion.objects.all()}
    for row in rows:
        if row["province"] not in provinces:
            provinces[row["province"]] = ProvinceRegion.objects.create(name=row["province"], short_name=row["province_short"])
    known = set(City.objects.values_list("adcode", flat=True))
    City.objects.bulk_create(
        [
            City(
                adcode=row["adcode"], name=row["name"], short_name=row["short"], province=provinces[row["province"]],
                lat=float(row["lat"]), lng=float(row["lng"]), pinyin=row["pinyin"], kind=row["kind"],
            )
            for row in rows
            if row["adcode"] not in known
        ],
        batch_size=500,
    )


def unload(apps, schema_editor):
    apps.get_model("geo", "City").objects.all().delete()
    apps.get_model("geo", "ProvinceRegion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
