import uuid

from django.db import migrations, models


def give_tokens(apps, schema_editor):
    ImportRun = apps.get_model("interchange", "ImportRun")
    for run in ImportRun.objects.filter(token__isnull=True):
        run.token = uuid.uuid4()
        run.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("interchange", "0001_initial")]

    operations = [
        migrations.AddField(model_name="importrun", name="token", field=models.UUIDField(editable=False, null=True)),
        migrations.RunPython(give_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="importrun", name="token", field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
        ),
    ]
