from django.db import migrations
from django.utils import timezone

# Seed 001: chat keywords such as 报价, 合同, 样品 are tagged as stage evidence; 竞品名称 + 价格 in 报价谈判 alerts
# the regional manager. Admins edit these on 设置 → 关键词证据; competitor names typed on deals are added on their own.
DEFAULTS = (
    ("requirements", "需求调研", "needs_diagnosed", ["需求调研", "调研表", "需求确认", "需求清单"], False),
    ("demo", "演示", "solution_demo", ["演示", "试用演示", "现场演示", "方案讲解"], False),
    ("sample", "样品", "solution_demo", ["样品", "样机", "试用", "寄样", "送样"], False),
    ("tender", "招标", "solution_demo", ["招标", "投标", "标书", "中标", "招采", "采购公告", "挂网", "比选"], False),
    ("quote", "报价", "quote_negotiation", ["报价", "报价单", "询价", "特价", "议价", "折扣", "优惠价"], False),
    ("price_comparison", "三方比价", "quote_negotiation", ["比价", "三方比价", "3方比价", "货比三家", "对比报价", "比价单"], False),
    ("contract", "合同", "contract_signed", ["合同", "签约", "盖章", "签合同", "合同模板", "回传"], False),
    ("competitor", "竞品", "", ["竞品", "友商", "西门子", "罗氏", "雅培", "贝克曼", "迈瑞", "安图", "新产业", "赛默飞", "岛津", "安捷伦", "华测", "谱尼"], True),
)


def seed(apps, schema_editor):
    KeywordDictionary = apps.get_model("evidence", "KeywordDictionary")
    now = timezone.now()
    for code, label, stage_key, words, competitor in DEFAULTS:
        KeywordDictionary.objects.get_or_create(
            code=code, defaults={"label": label, "stage_key": stage_key, "words": words, "is_competitor": competitor, "updated_at": now}
        )


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
