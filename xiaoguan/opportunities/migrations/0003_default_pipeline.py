from django.db import migrations

DEFAULT_STAGES = (
    ("lead_confirmed", "线索确认", False),
    ("needs_diagnosed", "需求诊断", False),
    ("solution_demo", "方案演示", False),
    ("quote_negotiation", "报价谈判", False),
    ("contract_signed", "合同签署", True),
    ("delivered_paid", "交付回款", False),
)


def create_standard_pipeline(apps, schema_editor):
    # A fresh install must be able to take a deal before anyone configures a pipeline.
    Pipeline = apps.get_model("opportunities", "Pipeline")
    Stage = apps.get_model("opportunities", "Stage")
    pipeline, created = Pipeline.objects.get_or_create(external_id="standard", defaults={"name": "标准流程"})
    if created:
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, key=key, name=name, position=i, is_won=won)
            for i, (key, name, won) in enumerate(DEFAULT_STAGES, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0002_initial")]
    operations = [migrations.RunPython(create_standard_pipeline, migrations.RunPython.noop)]
