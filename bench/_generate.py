"""A fast, seeded generator of a realistic sales organisation, written straight into the current Django database.

Used by benchmarks (bench/pages.py and later ones) inside a child process whose `DATABASE_URL` points at a throwaway
database. The small tables (teams, users, pipelines) go through the ORM; the big ones are written raw:

- SQLite: `executemany` of plain INSERTs in one transaction per table, `journal_mode=OFF`, `synchronous=OFF`,
  `foreign_keys=OFF`, a big page cache, and the table's secondary indexes dropped before the load and rebuilt after
  (CREATE INDEX sorts once instead of a random B-tree insert per row; see bench/README.md for the measurement).
- PostgreSQL: `COPY … FROM STDIN` through psycopg's `cursor.copy()`, indexes dropped and rebuilt the same way,
  then the id sequences reset.

Everything is a pure function of `seed` and the anchor time `now` (ids, names, owners, times as offsets from `now`).
External ids are `B<kind><number>`: BA accounts, BC contacts, BO opportunities, BL leads, BV activities, BK tasks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

CHUNK = 20_000
DAY = 86_400

# ------------------------------------------------------------------------------------------------ vocabulary

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞宇浩然婷雪梅琳晨阳欣怡子涵佳俊凯志红玉兰海波丹丹思远博文雨萱"
REGIONS = (
    ("华北大区", ("北京", "天津", "石家庄", "太原", "济南", "青岛")),
    ("华东大区", ("上海", "杭州", "南京", "苏州", "宁波", "合肥")),
    ("华南大区", ("广州", "深圳", "东莞", "佛山", "厦门", "南宁")),
    ("华中大区", ("武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳")),
    ("西南大区", ("成都", "重庆", "昆明", "贵阳", "绵阳", "拉萨")),
    ("西北大区", ("西安", "兰州", "银川", "西宁", "乌鲁木齐", "宝鸡")),
)
CITY_COORDS = {
    "北京": (39.90, 116.40), "天津": (39.13, 117.20), "石家庄": (38.04, 114.51), "太原": (37.87, 112.55), "济南": (36.65, 117.12),
    "青岛": (36.07, 120.38), "上海": (31.23, 121.47), "杭州": (30.27, 120.15), "南京": (32.06, 118.80), "苏州": (31.30, 120.58),
    "宁波": (29.87, 121.54), "合肥": (31.82, 117.23), "广州": (23.13, 113.26), "深圳": (22.54, 114.06), "东莞": (23.02, 113.75),
    "佛山": (23.02, 113.12), "厦门": (24.48, 118.09), "南宁": (22.82, 108.37), "武汉": (30.59, 114.31), "长沙": (28.23, 112.94),
    "郑州": (34.75, 113.62), "南昌": (28.68, 115.86), "宜昌": (30.69, 111.29), "洛阳": (34.62, 112.45), "成都": (30.57, 104.07),
    "重庆": (29.56, 106.55), "昆明": (25.04, 102.71), "贵阳": (26.65, 106.63), "绵阳": (31.47, 104.68), "拉萨": (29.65, 91.13),
    "西安": (34.34, 108.94), "兰州": (36.06, 103.83), "银川": (38.49, 106.23), "西宁": (36.62, 101.78), "乌鲁木齐": (43.83, 87.62),
    "宝鸡": (34.36, 107.24),
}
WORDS = "恒信华通瑞达中科远航天成鼎盛博源嘉禾新元金桥联创宏图汇丰启明星辰云海东方智联锦程万达卓越正泰德胜同舟长青海纳百川致远"
INDUSTRIES = ("制造业", "医疗", "教育", "政府", "零售", "金融", "物流", "能源", "互联网", "建筑", "汽车", "化工")
INDUSTRY_WORD = {"制造业": "机械", "医疗": "医疗器械", "教育": "教育科技", "政府": "信息中心", "零售": "商贸", "金融": "投资",
                 "物流": "物流", "能源": "能源", "互联网": "网络科技", "建筑": "建设工程", "汽车": "汽车零部件", "化工": "化工"}
SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司", "有限责任公司")
ACCOUNT_KINDS = ("enterprise",) * 6 + ("government", "education", "hospital", "retail")
SIZES = ("1-49", "50-199", "200-999", "1000+")
TITLES = ("总经理", "采购经理", "IT 主管", "财务总监", "技术负责人", "行政主管", "副总裁", "项目经理", "信息科科长", "运营总监")
DECISION_ROLES = ("decision_maker", "influencer", "procurement", "user", "finance", "")
PRODUCT_LINES = ("CRM 标准版", "CRM 旗舰版", "数据平台", "实施服务", "硬件终端", "年度运维")
COMPETITORS = ("", "", "销售易", "纷享销客", "Salesforce", "用友", "金蝶", "自研")
LOST_REASONS = ("价格偏高", "选择了竞品", "预算取消", "需求变更", "决策人变动", "项目延期")
LEAD_SOURCES = (("web_form", 30), ("wecom", 20), ("dingtalk", 8), ("phone", 15), ("event", 10), ("referral", 7), ("import", 8), ("other", 2))
LEAD_STATUSES = (("new", 4), ("assigned", 12), ("contacted", 30), ("qualified", 10), ("disqualified", 34), ("converted", 10))
ACTIVITY_KINDS = (("call", 35), ("wecom_message", 25), ("visit", 10), ("email", 10), ("meeting", 5), ("demo", 4),
                  ("document_sent", 5), ("check_in", 3), ("note", 3))
TASK_TITLES = ("回访客户确认需求", "发送报价单", "准备演示环境", "跟进合同审批", "催收首期款", "约见决策人", "整理会议纪要", "提交投标文件")

SNIPPET_OPENERS = ("电话沟通", "微信跟进", "上门拜访", "视频会议", "发送资料", "现场演示", "邮件往来", "午餐交流")
SNIPPET_TOPICS = (
    "客户对报价有异议，希望再优惠5%", "确认了采购预算约{n}万元", "技术负责人关注数据安全和私有化部署", "客户提到正在对比竞品方案",
    "决策人下周出差，约定月底再谈", "演示了移动端签到和审批流程", "客户要求提供同行业成功案例", "财务询问分期付款和账期安排",
    "采购流程需要走招标，预计{n}周", "对接人换岗，新联系人已加微信", "客户反馈现有系统数据迁移困难", "初步认可方案，等待内部立项",
    "IT 部门提出需要对接钉钉和企业微信", "客户希望先试用一个月", "合同条款法务正在审核", "回款计划确认，首期款{n}万元",
)
SNIPPET_NEXT = ("下一步：发送正式报价", "下一步：安排技术交流", "下一步：约见总经理", "下一步：准备合同草稿", "待客户内部评估",
                "已约下周二再次拜访", "需要售前支持", "计划月底前签约", "")


@dataclass
class Org:
    company_id: int
    region_ids: list[int]
    director_id: int
    manager_ids: list[int]
    rep_ids: list[int]
    rep_region: dict[int, int]  # rep id -> region index


@dataclass
class Ctx:
    rng: random.Random
    now_ts: int
    base_ts: int  # midnight UTC, 3 years before `now`
    fmt_ts: Callable[[int], str]
    fmt_day: Callable[[int], str]
    org: Org
    figures: dict[str, Any] = field(default_factory=dict)


def _table(weights: Sequence[tuple[str, int]], size: int = 1000) -> list[str]:
    """A lookup table: `table[int(random() * len)]` draws by weight without bisect."""
    total = sum(w for _, w in weights)
    out: list[str] = []
    for value, w in weights:
        out.extend([value] * round(size * w / total))
    return out


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _company(rng: random.Random, city: str, industry: str) -> str:
    return f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{INDUSTRY_WORD[industry]}{rng.choice(SUFFIXES)}"


POOL = 1 << 14  # drawing from precomputed pools is ~10x faster than composing a name per row


def _person_pool(rng: random.Random) -> list[str]:
    return [_person(rng) for _ in range(POOL)]


def _company_pool(rng: random.Random) -> dict[tuple[str, str], list[str]]:
    """64 names per (city, industry): 36 cities x 12 industries x 64 ≈ 28k distinct company names."""
    return {(c, ind): [_company(rng, c, ind) for _ in range(64)] for _, cities in REGIONS for c in cities for ind in INDUSTRIES}


def _snippets(rng: random.Random, n: int = 4096) -> list[str]:
    out = []
    for _ in range(n):
        topic = rng.choice(SNIPPET_TOPICS).replace("{n}", str(rng.randint(2, 300)))
        nxt = rng.choice(SNIPPET_NEXT)
        out.append(f"{rng.choice(SNIPPET_OPENERS)}：{topic}。{nxt}" if nxt else f"{rng.choice(SNIPPET_OPENERS)}：{topic}。")
    return out


def _formatters(base_ts: int, days: int, *, suffix: str) -> tuple[Callable[[int], str], Callable[[int], str]]:
    """Fast epoch-seconds → text, as the backend stores it (SQLite: naive UTC text; PostgreSQL: '+00')."""
    base = datetime.fromtimestamp(base_ts, tz=UTC)
    day_text = [(base + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days + 1)]
    hms = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(DAY)]

    def fmt_ts(t: int) -> str:
        o = t - base_ts
        return day_text[o // DAY] + hms[o % DAY]

    def fmt_day(t: int) -> str:
        return day_text[(t - base_ts) // DAY]

    return fmt_ts, fmt_day


# ------------------------------------------------------------------------------------------------ writers


class Writer:
    """Bulk rows into one table. `load()` wraps a table's load (indexes dropped/rebuilt per `index_strategy`)."""

    def __init__(self, *, index_strategy: str, stderr: TextIO) -> None:
        from django.db import connection

        self.connection = connection
        self.index_strategy = index_strategy
        self.stderr = stderr

    def max_id(self, table: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table names are ours
            return int(cursor.fetchone()[0])

    def load(self, table: str, columns: Sequence[str], chunks: Iterable[list[tuple[Any, ...]]]) -> tuple[int, float, float]:
        """Write every chunk; returns (rows, seconds loading, seconds rebuilding indexes)."""
        raise NotImplementedError

    def begin(self) -> None:
        pass

    def finish(self) -> None:
        pass


class SqliteWriter(Writer):
    def begin(self) -> None:
        self.connection.ensure_connection()
        raw = self.connection.connection
        # A throwaway database: no journal, no fsync, no FK checks while loading (the data is consistent by construction).
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA journal_mode=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-1048576")  # 1 GiB
        raw.execute("PRAGMA temp_store=MEMORY")
        raw.execute("PRAGMA threads=2")  # CREATE INDEX sorts with a helper thread

    def finish(self) -> None:
        raw = self.connection.connection
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA foreign_keys=ON")

    def _indexes(self, table: str) -> list[tuple[str, str]]:
        rows = self.connection.connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL", (table,)
        ).fetchall()
        return [(name, sql) for name, sql in rows]

    def load(self, table: str, columns: Sequence[str], chunks: Iterable[list[tuple[Any, ...]]]) -> tuple[int, float, float]:
        raw = self.connection.connection
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608
        indexes = self._indexes(table) if self.index_strategy == "drop" else []
        started = time.perf_counter()
        raw.execute("BEGIN")
        for name, _ in indexes:
            raw.execute(f'DROP INDEX "{name}"')
        n = 0
        for chunk in chunks:
            raw.executemany(sql, chunk)
            n += len(chunk)
        loaded = time.perf_counter()
        for _, index_sql in indexes:
            raw.execute(index_sql)
        raw.execute("COMMIT")
        return n, loaded - started, time.perf_counter() - loaded


class PostgresWriter(Writer):
    """COPY into each table. With index_strategy "drop": the table's plain indexes and its foreign keys go first and
    come back after the load (one sort per index, one join per foreign key instead of a trigger per row)."""

    def begin(self) -> None:
        self.connection.ensure_connection()
        self.tables: list[str] = []
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")  # index builds sort in memory
            cursor.execute("SET synchronous_commit = off")

    def _indexes(self, table: str) -> list[tuple[str, str]]:
        """Plain indexes (not those behind a PRIMARY KEY / UNIQUE constraint, which cannot be dropped alone)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.schemaname = current_schema() AND i.tablename = %s
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                [table],
            )
            return list(cursor.fetchall())

    def _foreign_keys(self, table: str) -> list[tuple[str, str]]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass",
                [f'"{table}"'],
            )
            return list(cursor.fetchall())

    def load(self, table: str, columns: Sequence[str], chunks: Iterable[list[tuple[Any, ...]]]) -> tuple[int, float, float]:
        from django.db import transaction

        self.tables.append(table)
        drop = self.index_strategy == "drop"
        indexes = self._indexes(table) if drop else []
        foreign_keys = self._foreign_keys(table) if drop else []
        started = time.perf_counter()
        n = 0
        with transaction.atomic(), self.connection.cursor() as cursor:
            for name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                write_row = copy.write_row
                for chunk in chunks:
                    for row in chunk:
                        write_row(row)
                    n += len(chunk)
            loaded = time.perf_counter()
            for _, index_sql in indexes:
                cursor.execute(index_sql)
            for name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        return n, loaded - started, time.perf_counter() - loaded

    def finish(self) -> None:
        from django.apps import apps
        from django.core.management.color import no_style

        models = [m for m in apps.get_models() if m._meta.db_table in self.tables]
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
            # What autovacuum would soon do on a live system: statistics for the planner, and the visibility map
            # without which PostgreSQL cannot answer from an index alone (no index-only scans on fresh COPY data).
            for table in self.tables:
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')


# ------------------------------------------------------------------------------------------------ small tables (ORM)


def _org(rng: random.Random, *, reps: int, now: datetime) -> Org:
    from xiaoguan.org.models import Role, Team, User, team_paths_rebuild

    company = Team.objects.create(external_id="BT00", name="销管科技", kind=Team.Kind.COMPANY)
    regions = Team.objects.bulk_create(
        Team(external_id=f"BT{i + 1:02d}", name=name, kind=Team.Kind.REGION, parent=company) for i, (name, _) in enumerate(REGIONS)
    )
    team_paths_rebuild()
    unusable = "!bench-no-password"  # an unusable password marker, as set_unusable_password writes

    def user(ext: str, email: str, role: str, team: Team, manager: User | None) -> User:
        return User(
            external_id=ext, email=email, name=_person(rng), role=role, team=team, manager=manager, password=unusable,
            hired_on=(now - timedelta(days=rng.randint(60, 3000))).date(), phone=f"139{rng.randrange(10**8):08d}",
        )

    director = User.objects.bulk_create([user("BU000", "director@bench.example", Role.DIRECTOR, company, None)])[0]
    managers = User.objects.bulk_create(
        user(f"BU{i + 1:03d}", f"manager{i + 1}@bench.example", Role.MANAGER, region, director) for i, region in enumerate(regions)
    )
    rep_objs = User.objects.bulk_create(
        user(f"BU{100 + i:03d}", f"rep{i + 1:02d}@bench.example", Role.REP, regions[i % len(regions)], managers[i % len(regions)])
        for i in range(reps)
    )
    return Org(
        company_id=company.pk, region_ids=[r.pk for r in regions], director_id=director.pk, manager_ids=[m.pk for m in managers],
        rep_ids=[r.pk for r in rep_objs], rep_region={r.pk: i % len(regions) for i, r in enumerate(rep_objs)},
    )


def _pipelines() -> dict[str, Any]:
    """`standard` comes with the migrations; add a long-cycle one. Returns stage ids per pipeline."""
    from xiaoguan.opportunities.models import Pipeline, Stage

    long_cycle, _ = Pipeline.objects.get_or_create(external_id="long_cycle", defaults={"name": "长周期项目流程"})
    if not long_cycle.stages.exists():
        keys = (("lead_confirmed", "线索确认", False), ("needs_diagnosed", "需求诊断", False), ("poc", "POC 验证", False),
                ("bidding", "招投标", False), ("contract_signed", "合同签署", True), ("delivered_paid", "交付回款", False))
        Stage.objects.bulk_create(
            Stage(pipeline=long_cycle, key=k, name=n, position=i, is_won=w) for i, (k, n, w) in enumerate(keys, start=1)
        )
    out = {}
    for pipeline in Pipeline.objects.filter(external_id__in=["standard", "long_cycle"]):
        stages = list(pipeline.stages.order_by("position"))
        won = next(i for i, s in enumerate(stages) if s.is_won)
        out[pipeline.external_id] = {"id": pipeline.pk, "stages": [s.pk for s in stages], "names": [s.name for s in stages], "won_index": won}
    return out


# ------------------------------------------------------------------------------------------------ big tables (raw)


def _chunks(n: int, make: Callable[[int, int], list[tuple[Any, ...]]]) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, n, CHUNK):
        yield make(start, min(n, start + CHUNK))


def generate(
    *,
    leads: int,
    activities: int,
    reps: int = 45,
    seed: int = 1,
    stderr: TextIO,
    accounts: int | None = None,
    opportunities: int | None = None,
    tasks: int | None = None,
    now: datetime | None = None,
    index_strategy: str = "drop",
) -> dict[str, Any]:
    """Fill the current database. Sizes not given scale with `leads`: accounts = leads/20, opportunities = leads/10,
    contacts ≈ 2.5 per account, stage history ≈ 3 per opportunity, tasks = leads/20.

    Returns the figures (rows and seconds per table, rows/s) and the ids a benchmark needs (director, managers, reps).
    """
    from django.db import connection

    started = time.perf_counter()
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    n_acc = accounts if accounts is not None else max(50, leads // 20)
    n_opp = opportunities if opportunities is not None else max(50, leads // 10)
    n_task = tasks if tasks is not None else max(50, leads // 20)
    rng = random.Random(seed)
    rnd = rng.random

    now_ts = int(now.timestamp())
    base_ts = (now_ts // DAY - 3 * 366) * DAY
    suffix = "+00" if connection.vendor == "postgresql" else ""
    fmt_ts, fmt_day = _formatters(base_ts, (now_ts - base_ts) // DAY + 400, suffix=suffix)
    writer: Writer = (PostgresWriter if connection.vendor == "postgresql" else SqliteWriter)(index_strategy=index_strategy, stderr=stderr)
    writer.begin()
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def log(table: str, n: int, load_s: float, index_s: float) -> None:
        rows[table] = n
        seconds[table] = round(load_s + index_s, 2)
        rate = n / (load_s + index_s) if load_s + index_s else 0
        print(f"  {table:<28} {n:>10,} rows  {load_s:7.1f} s load + {index_s:5.1f} s index  ({rate:,.0f} rows/s)", file=stderr, flush=True)

    print(f"generate: seed={seed} reps={reps} accounts={n_acc:,} opportunities={n_opp:,} leads={leads:,} activities={activities:,} "
          f"on {connection.vendor} (indexes: {index_strategy})", file=stderr, flush=True)

    org = _org(rng, reps=reps, now=now)
    pipes = _pipelines()
    rep_ids = org.rep_ids
    n_rep = len(rep_ids)
    region_ids = org.region_ids
    snippets = _snippets(rng)
    n_snip = len(snippets)
    persons = _person_pool(rng)
    companies = _company_pool(rng)
    # Dedupe keys as the models' save() writes them (core/normalize.py); generated phones and e-mails are already in
    # key form, company names come from a pool: one company_key() per distinct name.
    from xiaoguan.core.normalize import company_key

    company_keys: dict[str, str] = {"": ""}

    def ckey(name: str) -> str:
        key = company_keys.get(name)
        if key is None:
            key = company_keys[name] = company_key(name)
        return key

    # change history (core_historyentry) as the services write it: created, edits, stage moves, closes
    from django.contrib.contenttypes.models import ContentType

    from xiaoguan.customers.models import Account
    from xiaoguan.opportunities.models import Opportunity

    account_type = ContentType.objects.get_for_model(Account).pk
    opportunity_type = ContentType.objects.get_for_model(Opportunity).pk
    hist_base = writer.max_id("core_historyentry")
    hist: list[tuple[Any, ...]] = []
    grade_edits = ('{"grade": ["B", "A"]}', '{"grade": ["C", "B"]}', '{"grade": ["", "B"]}', '{"city": ["", "杭州"]}',
                   '{"payment_terms_days": [30, 60]}')

    # -------------------------------------------------------------- accounts
    acc_base = writer.max_id("customers_account")
    acc_owner: list[int | None] = []
    acc_city: list[str] = []
    rep_accounts: dict[int, list[int]] = {r: [] for r in rep_ids}

    def make_accounts(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            owner = None if rnd() < 0.03 else rep_ids[int(rnd() * n_rep)]
            region_index = org.rep_region[owner] if owner is not None else int(rnd() * len(REGIONS))
            cities = REGIONS[region_index][1]
            city = cities[int(rnd() * len(cities))]
            industry = INDUSTRIES[int(rnd() * len(INDUSTRIES))]
            pk = acc_base + i + 1
            acc_owner.append(owner)
            acc_city.append(city)
            if owner is not None:
                rep_accounts[owner].append(pk)
            created = now_ts - int(rnd() * 3 * 365 * DAY)
            follow = None if rnd() < 0.4 else fmt_ts(now_ts + int((rnd() - 0.3) * 30 * DAY))
            credit = None if rnd() < 0.5 else int(rnd() * 200) * 10_000
            hist.append((hist_base + len(hist) + 1, pk, fmt_ts(created), "created", "{}", "", owner, account_type))
            for _ in range(int(rnd() * 4)):
                at = created + int(rnd() * (now_ts - created))
                hist.append((hist_base + len(hist) + 1, pk, fmt_ts(at), "updated", grade_edits[int(rnd() * 5)], "", owner, account_type))
            row = (
                pk, f"BA{i + 1:07d}", companies[city, industry][int(rnd() * 64)], ACCOUNT_KINDS[int(rnd() * len(ACCOUNT_KINDS))], industry, city,
                SIZES[int(rnd() * 4)], "ABC"[min(2, int(rnd() * 3.3))] if rnd() < 0.8 else "", fmt_ts(created), fmt_ts(now_ts),
                credit, (30, 60, 90)[int(rnd() * 3)] if credit else None, follow, owner, region_ids[region_index],
            )
            out.append((*row, ckey(row[2])))
        return out

    cols: tuple[str, ...] = ("id", "external_id", "name", "kind", "industry", "city", "size", "grade", "created_at", "updated_at", "credit_limit",
            "payment_terms_days", "next_follow_up_at", "owner_id", "region_id", "name_key")
    log("customers_account", *writer.load("customers_account", cols, _chunks(n_acc, make_accounts)))

    # -------------------------------------------------------------- contacts (1-4 per account)
    con_base = writer.max_id("customers_contact")
    contact_counter = [0]

    def make_contacts(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            for _ in range(1 + int(rnd() * 4)):
                contact_counter[0] += 1
                k = contact_counter[0]
                row = (
                    con_base + k, f"BC{k:07d}", persons[int(rnd() * POOL)], TITLES[int(rnd() * len(TITLES))],
                    DECISION_ROLES[int(rnd() * len(DECISION_ROLES))], f"13{int(rnd() * 10)}{int(rnd() * 10**8):08d}",
                    f"c{k}@example.cn" if rnd() < 0.6 else "", f"wx_{k}" if rnd() < 0.7 else "", acc_base + i + 1,
                )
                out.append((*row, row[5]))  # phone_key: the generated mobile number is its own key
        return out

    cols = ("id", "external_id", "name", "title", "role_in_decision", "phone", "email", "wechat", "account_id", "phone_key")
    log("customers_contact", *writer.load("customers_contact", cols, _chunks(n_acc, make_contacts)))

    # -------------------------------------------------------------- opportunities + stage history
    opp_base = writer.max_id("opportunities_opportunity")
    opp_account: list[int] = []
    opp_owner: list[int] = []
    rep_opps: dict[int, list[int]] = {r: [] for r in rep_ids}
    history: list[tuple[Any, ...]] = []
    sh_base = writer.max_id("opportunities_stagehistory")
    pipe_list = [pipes["standard"]] * 4 + [pipes["long_cycle"]]

    def make_opps(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            acc = int(rnd() * n_acc)
            owner = acc_owner[acc] or rep_ids[int(rnd() * n_rep)]
            pk = opp_base + i + 1
            opp_account.append(acc_base + acc + 1)
            opp_owner.append(owner)
            rep_opps[owner].append(pk)
            pipe = pipe_list[int(rnd() * 5)]
            stages, won = pipe["stages"], pipe["won_index"]
            r = rnd()
            status = "open" if r < 0.55 else "won" if r < 0.75 else "lost"
            position = (won + int(rnd() * 2)) if status == "won" else int(rnd() * won)
            created = now_ts - int(rnd() * 2 * 365 * DAY)
            # one entry per stage reached, spread between creation and now
            t = created
            names = pipe["names"]
            hist.append((hist_base + len(hist) + 1, pk, fmt_ts(t), "created", "{}", "", owner, opportunity_type))
            for p in range(position + 1):
                history.append((sh_base + len(history) + 1, fmt_ts(t), owner, pk, stages[p], "", "[]"))
                if p:
                    change = f'{{"stage": ["{names[p - 1]}", "{names[p]}"]}}'
                    hist.append((hist_base + len(hist) + 1, pk, fmt_ts(t), "stage", change, "", owner, opportunity_type))
                t += int(rnd() * 20 * DAY) + 3600
            closed = fmt_ts(min(t, now_ts)) if status != "open" else None
            if closed is not None:
                change = '{"status": ["open", "%s"]}' % status  # noqa: UP031 - braces of JSON
                hist.append((hist_base + len(hist) + 1, pk, closed, "closed", change, "", owner, opportunity_type))
            product = PRODUCT_LINES[int(rnd() * len(PRODUCT_LINES))]
            expected = fmt_day(now_ts + int((rnd() - 0.2) * 180 * DAY)) if status == "open" else fmt_day(min(t, now_ts))
            out.append((
                pk, f"BO{i + 1:07d}", product, f"{acc_city[acc]}{product}项目", (5 + int(rnd() * 495)) * 10_000, "CNY", fmt_ts(created),
                fmt_ts(now_ts), expected, status, closed, LOST_REASONS[int(rnd() * len(LOST_REASONS))] if status == "lost" else "",
                COMPETITORS[int(rnd() * len(COMPETITORS))], fmt_ts(now_ts + int((rnd() - 0.3) * 20 * DAY)) if status == "open" else None,
                acc_base + acc + 1, owner, pipe["id"], stages[position], "", "", "{}",
            ))
        return out

    cols = ("id", "external_id", "product_line", "name", "amount", "currency", "created_at", "updated_at", "expected_close", "status",
            "closed_at", "lost_reason", "competitor", "next_follow_up_at", "account_id", "owner_id", "pipeline_id", "stage_id",
            "core_need", "blocker", "evidence_seen")
    log("opportunities_opportunity", *writer.load("opportunities_opportunity", cols, _chunks(n_opp, make_opps)))
    cols = ("id", "entered_at", "changed_by_id", "opportunity_id", "stage_id", "override_reason", "missing")
    log("opportunities_stagehistory", *writer.load(
        "opportunities_stagehistory", cols, (history[s:s + CHUNK] for s in range(0, len(history), CHUNK))
    ))
    history.clear()
    cols = ("id", "object_id", "at", "action", "changes", "note", "actor_id", "content_type_id")
    log("core_historyentry", *writer.load("core_historyentry", cols, (hist[s:s + CHUNK] for s in range(0, len(hist), CHUNK))))
    hist.clear()

    # -------------------------------------------------------------- leads
    lead_base = writer.max_id("leads_lead")
    rep_leads: dict[int, list[int]] = {r: [] for r in rep_ids}
    sources = _table(LEAD_SOURCES)
    statuses = _table(LEAD_STATUSES)
    n_sources, n_statuses = len(sources), len(statuses)
    all_cities = [c for _, cs in REGIONS for c in cs]

    def make_leads(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            status = statuses[int(rnd() * n_statuses)]
            pk = lead_base + i + 1
            if status == "new":
                owner = None
                region_index = int(rnd() * len(REGIONS))
                created = now_ts - int(rnd() * 3 * DAY)
            else:
                owner = rep_ids[int(rnd() * n_rep)]
                region_index = org.rep_region[owner]
                rep_leads[owner].append(pk)
                # still-open "assigned" leads are recent; the rest spread over the year
                created = now_ts - int(rnd() * (45 if status == "assigned" else 365) * DAY)
            city = REGIONS[region_index][1][int(rnd() * 6)] if rnd() < 0.9 else all_cities[int(rnd() * len(all_cities))]
            industry = INDUSTRIES[int(rnd() * len(INDUSTRIES))]
            assigned = None if owner is None else created + int(rnd() * 4 * 3600)
            contacted = assigned + int(rnd() * 2 * DAY) if assigned is not None and status not in ("assigned",) else None
            conv_acc = conv_opp = None
            if status == "converted" and rep_accounts[owner]:  # type: ignore[index]
                accs = rep_accounts[owner]  # type: ignore[index]
                conv_acc = accs[int(rnd() * len(accs))]
                opps = rep_opps[owner]  # type: ignore[index]
                conv_opp = opps[int(rnd() * len(opps))] if opps and rnd() < 0.7 else None
            row = (
                pk, f"BL{i + 1:07d}", fmt_ts(created), fmt_ts(min(now_ts, created + int(rnd() * 20 * DAY))),
                sources[int(rnd() * n_sources)], persons[int(rnd() * POOL)] if rnd() < 0.95 else "",
                companies[city, industry][int(rnd() * 64)] if rnd() < 0.85 else "", f"1{(3, 5, 7, 8, 9)[int(rnd() * 5)]}{int(rnd() * 10**9):09d}",
                f"l{i + 1}@example.cn" if rnd() < 0.4 else "", industry, city, SIZES[int(rnd() * 4)] if rnd() < 0.6 else "",
                (1 + int(rnd() * 100)) * 10_000 if rnd() < 0.5 else None, status,
                fmt_ts(assigned) if assigned is not None else None, fmt_ts(min(now_ts, contacted)) if contacted is not None else None,
                conv_acc, conv_opp, owner, region_ids[region_index],
            )
            out.append((*row, 1, "", row[7], row[8], ckey(row[6])))
        return out

    cols = ("id", "external_id", "created_at", "updated_at", "source", "name", "company", "phone", "email", "industry", "city",
            "company_size", "budget", "status", "assigned_at", "first_contact_at", "converted_account_id", "converted_opportunity_id",
            "owner_id", "region_id", "capture_count", "routing_reason", "phone_key", "email_key", "company_key")
    log("leads_lead", *writer.load("leads_lead", cols, _chunks(leads, make_leads)))

    # -------------------------------------------------------------- activities
    act_base = writer.max_id("activities_activity")
    kinds = _table(ACTIVITY_KINDS)
    n_kinds = len(kinds)
    timed = {"call": (30, 1800), "visit": (1200, 7200), "meeting": (1800, 5400), "demo": (1800, 5400)}
    located = {"visit", "check_in"}
    rep_lead_lists = [rep_leads[r] for r in rep_ids]
    hot = 0.3  # share of account activities that go to a skewed (hot) set of accounts

    def make_activities(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            u = rnd()
            lead_id = opp_id = None
            if u < 0.55:
                acc = int(n_acc * rnd() * rnd()) if rnd() < hot else int(n_acc * rnd())
                account_id: int | None = acc_base + acc + 1
                owner = acc_owner[acc]
                if owner is None or rnd() < 0.07:
                    owner = rep_ids[int(rnd() * n_rep)]
                city = acc_city[acc]
            elif u < 0.80:
                o = int(rnd() * n_opp)
                opp_id = opp_base + o + 1
                account_id = opp_account[o]
                owner = opp_owner[o]
                city = acc_city[account_id - acc_base - 1]
            else:
                r = int(rnd() * n_rep)
                owner = rep_ids[r]
                lead_list = rep_lead_lists[r]
                account_id = None
                lead_id = lead_list[int(rnd() * len(lead_list))] if lead_list else None
                if lead_id is None:
                    account_id = acc_base + 1
                city = REGIONS[org.rep_region[owner]][1][0]
            kind = kinds[int(rnd() * n_kinds)]
            occurred = now_ts - (int(rnd() * 365) + 1) * DAY + int(rnd() * 43_200)  # 08:00-20:00 Beijing time
            g = rnd()
            gap = int(60 + rnd() * 3540) if g < 0.7 else int(3600 + rnd() * 7 * 3600) if g < 0.9 else int(DAY + rnd() * 9 * DAY)
            recorded = min(now_ts, occurred + gap)
            span = timed.get(kind)
            duration = int(span[0] + rnd() * (span[1] - span[0])) if span else None
            lat: float | None = None
            lng: float | None = None
            if kind in located:
                lat0, lng0 = CITY_COORDS[city]
                lat, lng = round(lat0 + (rnd() - 0.5) * 0.2, 6), round(lng0 + (rnd() - 0.5) * 0.2, 6)
            out.append((
                act_base + i + 1, f"BV{i + 1:07d}", kind, fmt_ts(occurred), fmt_ts(recorded), duration, snippets[int(rnd() * n_snip)],
                lat, lng, account_id, lead_id, opp_id, owner,
            ))
        return out

    cols = ("id", "external_id", "kind", "occurred_at", "recorded_at", "duration_seconds", "content", "lat", "lng", "account_id",
            "lead_id", "opportunity_id", "owner_id")
    log("activities_activity", *writer.load("activities_activity", cols, _chunks(activities, make_activities)))

    # -------------------------------------------------------------- tasks
    task_base = writer.max_id("activities_task")
    task_sources = ("manual", "follow_up", "lead", "system")

    def make_tasks(a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            r = int(rnd() * n_rep)
            owner = rep_ids[r]
            due = now_ts + int((rnd() - 0.7) * 60 * DAY)
            done = fmt_ts(min(now_ts, due + int((rnd() - 0.5) * 2 * DAY))) if due < now_ts and rnd() < 0.8 else None
            accs, opps, lds = rep_accounts[owner], rep_opps[owner], rep_lead_lists[r]
            w = rnd()
            acc_id = accs[int(rnd() * len(accs))] if w < 0.5 and accs else None
            opp_id = opps[int(rnd() * len(opps))] if 0.5 <= w < 0.8 and opps else None
            lead_id = lds[int(rnd() * len(lds))] if w >= 0.8 and lds else None
            out.append((
                task_base + i + 1, f"BK{i + 1:07d}", TASK_TITLES[int(rnd() * len(TASK_TITLES))], fmt_ts(due),
                task_sources[int(rnd() * 4)], fmt_ts(due - int(rnd() * 7 * DAY) - 3600), done, acc_id, lead_id, opp_id, owner,
            ))
        return out

    cols = ("id", "external_id", "title", "due_at", "source", "created_at", "done_at", "account_id", "lead_id", "opportunity_id", "owner_id")
    log("activities_task", *writer.load("activities_task", cols, _chunks(n_task, make_tasks)))

    writer.finish()
    total_s = time.perf_counter() - started
    total_rows = sum(rows.values())
    print(f"generate: {total_rows:,} rows in {total_s:.1f} s ({total_rows / total_s:,.0f} rows/s)", file=stderr, flush=True)
    return {
        "seed": seed,
        "now": now.isoformat(),
        "vendor": connection.vendor,
        "index_strategy": index_strategy,
        "rows": rows,
        "seconds": seconds,
        "total_rows": total_rows,
        "total_seconds": round(total_s, 1),
        "rows_per_second": round(total_rows / total_s),
        "director_id": org.director_id,
        "manager_ids": org.manager_ids,
        "rep_ids": org.rep_ids,
    }
