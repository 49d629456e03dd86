"""A small, realistic sales team for browser tests and screenshots: 华东大区 with a manager and four reps.

Everything is relative to `now`, so the workbench has today's to-dos and the team view has last week's activity.
Writes that leave history (conversions, stage moves, a lost deal) go through the services.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, ContactFactory, LeadFactory, OpportunityFactory, TaskFactory
from xiaoguan.activities.models import Activity
from xiaoguan.customers.models import Account, Contact
from xiaoguan.customers.services import account_update
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline, Stage
from xiaoguan.opportunities.services import opportunity_close_lost, opportunity_move_stage
from xiaoguan.org.models import Role, Team, User
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

PASSWORD = "pass-word-123"  # UserFactory's

COMPANIES = [
    ("苏州恒瑞精密机械有限公司", "制造业", "苏州"), ("杭州云帆医疗器械有限公司", "医疗", "杭州"), ("上海申江物流集团", "物流", "上海"),
    ("宁波港城化工有限公司", "化工", "宁波"), ("无锡华光电子科技有限公司", "电子", "无锡"), ("南京金陵第一医院", "医疗", "南京"),
    ("合肥科大智能装备有限公司", "制造业", "合肥"), ("常州天合新能源有限公司", "能源", "常州"), ("嘉兴禾丰食品有限公司", "食品", "嘉兴"),
    ("温州瓯越汽配有限公司", "汽车零部件", "温州"), ("绍兴柯桥纺织印染有限公司", "纺织", "绍兴"), ("上海浦江职业技术学院", "教育", "上海"),
    ("南通海工船舶设备有限公司", "制造业", "南通"), ("扬州润扬检测技术有限公司", "检测", "扬州"), ("湖州安吉竹木制品有限公司", "家居", "湖州"),
    ("昆山立讯精密组件有限公司", "电子", "昆山"), ("杭州西湖区人民医院", "医疗", "杭州"), ("上海浦东新区市场监管局", "政府", "上海"),
]
PEOPLE = ["王建国", "陈晓燕", "刘洋", "黄志强", "周敏", "吴海涛", "徐丽", "孙国栋", "马俊", "朱婷婷", "胡斌", "郭静"]
TITLES = ["设备科科长", "采购经理", "总经理", "技术总监", "财务总监", "生产部经理", "信息中心主任"]
NOTES = [
    (Activity.Kind.VISIT, "拜访设备科，了解二期产线改造计划，客户预算约 80 万，下周安排技术交流。"),
    (Activity.Kind.CALL, "电话沟通报价，客户认为价格偏高 10%，需要申请折扣。"),
    (Activity.Kind.WECOM_MESSAGE, "微信发送了产品白皮书和同行案例，客户表示会转给技术总监。"),
    (Activity.Kind.DEMO, "现场演示检测设备，技术总监比较认可精度，关心售后响应时间。"),
    (Activity.Kind.CALL, "与采购经理确认招标时间，预计下月中旬挂网。"),
    (Activity.Kind.WECOM_MESSAGE, "客户反馈竞品给了 3 年免费维保，需要评估应对方案。"),
    (Activity.Kind.CHECK_IN, "到访客户工厂，参观产线，记录了 6 个痛点。"),
    (Activity.Kind.MEETING, "会议纪要：确定试用方案，试用期 30 天，下周一发货。"),
]
LEAD_NAMES = [("林先生", "上海鼎信自动化有限公司"), ("何女士", "苏州博远生物科技有限公司"), ("高经理", "杭州数澜信息技术有限公司"),
              ("罗工", "宁波东海模具厂"), ("梁总", "无锡新锐材料有限公司"), ("谢主任", "南京鼓楼区妇幼保健院"),
              ("宋经理", "常州瑞和环保设备有限公司"), ("唐女士", "嘉兴华联超市有限公司"), ("韩工", "合肥国轩储能有限公司"),
              ("冯先生", "温州正泰电器经销部"), ("邓经理", "绍兴越秀纺织有限公司"), ("曹主任", "上海闵行区第五人民医院")]


@dataclass
class World:
    company: Team
    region: Team
    manager: User
    reps: list[User]
    other_region_rep: User
    accounts: list[Account] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)

    @property
    def rep(self) -> User:
        return self.reps[0]


def _kind_of(name: str) -> str:
    for word, kind in (("医院", Account.Kind.HOSPITAL), ("局", Account.Kind.GOVERNMENT), ("学院", Account.Kind.EDUCATION)):
        if word in name:
            return kind
    return Account.Kind.ENTERPRISE


def _short(company: str) -> str:
    for suffix in ("有限公司", "集团"):
        company = company.removesuffix(suffix)
    return company


def _standard_pipeline() -> Pipeline:
    """The migration's default pipeline; a transactional test's flush removed it, so make it again when missing."""
    pipeline, created = Pipeline.objects.get_or_create(external_id="standard", defaults={"name": "标准流程"})
    if created:
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, key=key, name=name, position=i, is_won=won) for i, (key, name, won) in enumerate(DEFAULT_STAGES, start=1)
        )
    return pipeline


def build_world(*, now: datetime, seed: int = 7) -> World:
    rng = random.Random(seed)
    company = TeamFactory(name="星河智能装备", kind=Team.Kind.COMPANY)
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    west = TeamFactory(name="西南大区", kind=Team.Kind.REGION, parent=company)
    UserFactory(name="陈总监", email="director@example.cn", role=Role.DIRECTOR, team=company)
    UserFactory(name="系统管理员", email="admin@example.cn", role=Role.ADMIN, team=company, is_staff=True)
    UserFactory(name="周会计", email="finance@example.cn", role=Role.FINANCE, team=company)
    manager = UserFactory(name="王磊", email="manager@example.cn", role=Role.MANAGER, team=region)
    reps = [
        UserFactory(name=name, email=email, team=region, manager=manager)
        for name, email in [("李娜", "rep@example.cn"), ("张伟", "rep2@example.cn"), ("刘芳", "rep3@example.cn"), ("杨帆", "rep4@example.cn")]
    ]
    other = UserFactory(name="赵磊", email="west@example.cn", team=west)
    # Team paths are written after save: reload so visibility checks in services see them.
    manager, reps, other = (User.objects.get(pk=manager.pk), [User.objects.get(pk=r.pk) for r in reps], User.objects.get(pk=other.pk))
    world = World(company=company, region=region, manager=manager, reps=reps, other_region_rep=other)
    pipeline = _standard_pipeline()
    stages = list(pipeline.stages.order_by("position"))

    for i, (name, industry, city) in enumerate(COMPANIES):
        owner = reps[i % len(reps)]
        created = now - timedelta(days=rng.randint(30, 200))
        account = AccountFactory(
            name=name, industry=industry, city=city, owner=owner, region=region, created_at=created,
            grade=rng.choice(["A", "B", "B", "C", ""]), size=rng.choice([s for s, _ in Account.Size.choices]),
            kind=_kind_of(name),
            credit_limit=Decimal(rng.choice([200000, 500000, 1000000])), payment_terms_days=rng.choice([30, 60, 90]),
            next_follow_up_at=now + timedelta(days=rng.randint(-3, 10), hours=rng.randint(0, 8)),
        )
        world.accounts.append(account)
        for j in range(rng.randint(1, 3)):
            ContactFactory(
                account=account, name=PEOPLE[(i * 3 + j) % len(PEOPLE)], title=TITLES[(i + j) % len(TITLES)],
                role_in_decision=[c for c, _ in Contact.DecisionRole.choices][(i + j) % 5], phone=f"139{rng.randint(10000000, 99999999)}",
                wechat=f"wx_{rng.randint(1000, 9999)}",
            )
        for k in range(rng.randint(1, 2)):
            product = ["检测设备", "自动化产线", "软件服务", "维保合同"][(i + k) % 4]
            opp = OpportunityFactory(
                account=account, owner=owner, name=f"{_short(name)}{product}项目", product_line=product,
                amount=Decimal(rng.choice([80000, 150000, 260000, 380000, 520000, 900000, 1200000])),
                created_at=created + timedelta(days=3), expected_close=(now + timedelta(days=rng.randint(10, 90))).date(),
            )
            target_stage = stages[rng.randint(0, 3)]
            if target_stage.position > 1:
                opportunity_move_stage(
                    opportunity=opp, stage=target_stage, by=owner, now=now - timedelta(days=rng.randint(1, 20)), enforce_gates=False
                )
            world.opportunities.append(opp)
        for d in range(rng.randint(3, 9)):
            when = now - timedelta(days=rng.randint(0, 13), hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
            kind, note = rng.choice(NOTES)
            late = timedelta(days=2) if d == 0 and i % 5 == 0 else timedelta(minutes=rng.randint(1, 90))
            ActivityFactory(owner=owner, account=account, kind=kind, occurred_at=when, recorded_at=min(when + late, now), content=note)
        TouchEvent.objects.create(
            tracked_item_key=f"doc-{i}", document="产品白皮书 2025 版.pdf", account=account, kind=TouchEvent.Kind.OPENED,
            occurred_at=now - timedelta(days=rng.randint(0, 6), hours=2),
        )
        if i % 3 == 0:
            Invoice.objects.create(
                account=account, amount=Decimal(rng.choice([50000, 120000, 300000])), issued_on=(now - timedelta(days=40)).date(),
                due_on=(now - timedelta(days=rng.choice([-20, 5, 10]))).date(), paid_on=None if i % 2 == 0 else (now - timedelta(days=3)).date(),
            )

    # Some edits, so account pages show their change history.
    for account in world.accounts[:6]:
        account_update(account=account, by=account.owner, now=now - timedelta(days=4), values={"grade": "A", "payment_terms_days": 45})

    # A won deal this month and a lost one, so the board and the history have both.
    won = world.opportunities[1]
    opportunity_move_stage(opportunity=won, stage=next(s for s in stages if s.is_won), by=won.owner, now=now - timedelta(hours=5), enforce_gates=False)
    lost = world.opportunities[4]
    opportunity_close_lost(opportunity=lost, by=lost.owner, now=now - timedelta(days=2), reason="客户预算削减，项目延期到明年", competitor="华测科技")

    for i, (person, company_name) in enumerate(LEAD_NAMES):
        status = [Lead.Status.ASSIGNED, Lead.Status.ASSIGNED, Lead.Status.CONTACTED, Lead.Status.QUALIFIED, Lead.Status.NEW][i % 5]
        lead = LeadFactory(
            name=person, company=company_name, owner=reps[i % len(reps)], status=status, region=region,
            source=[s for s, _ in Lead.Source.choices][i % 6], city=rng.choice(["上海", "苏州", "杭州", "南京", "宁波"]),
            created_at=now - timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 10)), phone=f"138{rng.randint(10000000, 99999999)}",
            budget=Decimal(rng.choice([50000, 100000, 300000, 800000])),
            first_contact_at=None if status in (Lead.Status.NEW, Lead.Status.ASSIGNED) else now - timedelta(days=1),
        )
        world.leads.append(lead)

    for i, rep in enumerate(reps):
        for t in range(3):
            account = world.accounts[(i + t * 4) % len(world.accounts)]
            TaskFactory(
                owner=rep, account=account, title=f"回访 {account.name[:8]}：确认{['报价反馈', '试用安排', '招标时间'][t]}",
                due_at=now + timedelta(hours=[-26, 2, 5][t]) if t != 2 or i % 2 == 0 else now + timedelta(days=2), created_at=now - timedelta(days=3),
            )
        Target.objects.create(
            external_id=Target.key_for(period=f"{now:%Y-%m}", scope_kind="user", scope_id=rep.external_id, product_line=""),
            period=f"{now:%Y-%m}", scope_kind=Target.ScopeKind.USER, user=rep, amount=Decimal("1500000"),
        )
    return world
