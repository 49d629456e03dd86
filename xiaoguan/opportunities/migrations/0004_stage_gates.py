import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('opportunities', '0003_default_pipeline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='opportunity',
            name='blocker',
            field=models.CharField(blank=True, max_length=300, verbose_name='卡点问题'),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='core_need',
            field=models.CharField(blank=True, max_length=300, verbose_name='核心诉求'),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='evidence_seen',
            field=models.JSONField(blank=True, default=dict, verbose_name='已见证据'),
        ),
        migrations.AddField(
            model_name='pipeline',
            name='stale_silence_days',
            field=models.PositiveSmallIntegerField(default=7, verbose_name='无互动预警（天）'),
        ),
        migrations.AddField(
            model_name='pipeline',
            name='stale_stage_workdays',
            field=models.PositiveSmallIntegerField(default=5, verbose_name='阶段停留预警（工作日）'),
        ),
        migrations.AddField(
            model_name='stagehistory',
            name='approved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='审批人'),
        ),
        migrations.AddField(
            model_name='stagehistory',
            name='missing',
            field=models.JSONField(blank=True, default=list, verbose_name='越过时缺少'),
        ),
        migrations.AddField(
            model_name='stagehistory',
            name='override_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='越过证据的理由'),
        ),
        migrations.CreateModel(
            name='StageGate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('required_actions', models.JSONField(blank=True, default=list, verbose_name='证据动作')),
                ('required_fields', models.JSONField(blank=True, default=list, verbose_name='必填字段')),
                ('needs_approval', models.BooleanField(default=False, verbose_name='需要经理审批')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('stage', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='gate', to='opportunities.stage', verbose_name='阶段')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '阶段准出条件',
                'verbose_name_plural': '阶段准出条件',
            },
        ),
        migrations.CreateModel(
            name='StageMoveRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(verbose_name='申请时间')),
                ('status', models.CharField(choices=[('pending', '待审批'), ('approved', '已批准'), ('rejected', '已驳回')], default='pending', max_length=10, verbose_name='状态')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='审批时间')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='审批意见')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='审批人')),
                ('from_stage', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opportunities.stage', verbose_name='原阶段')),
                ('opportunity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_requests', to='opportunities.opportunity', verbose_name='商机')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                ('to_stage', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opportunities.stage', verbose_name='目标阶段')),
            ],
            options={
                'verbose_name': '阶段推进审批',
                'verbose_name_plural': '阶段推进审批',
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('opportunity',), name='stage_request_one_pending')],
            },
        ),
    ]
