"""An open-loop HTTP load generator for `POST /api/leads` (used by bench/leads.py; no Django, stdlib only).

    python bench/_load.py CONFIG.json   ->  last stdout line: one JSON object (summary); raw samples in CONFIG["out"]

Open loop at a fixed arrival rate: request i is due at start + i / rate and is sent then whatever happened to the
earlier ones (a slow response never delays the next arrival, so there is no coordinated omission). Latency is taken
from the request's *scheduled* time to the last byte of its response, so a late start caused by the generator itself
also counts against the server (`send_lag_*` says how late the generator was; on a busy machine it is not zero).

Each request is a fresh HTTP/1.1 connection (`Connection: close`; gunicorn's sync workers close after every response
anyway) over loopback. Every body is built before the clock starts: the run itself only writes prepared bytes and
reads the answer, to keep the generator's CPU (which competes with the server on 2 cores) small.

Bodies: Chinese names and companies, ~45 cities (a few unknown or blank), 12 industries, varied phone formats
(+86, dashes, spaces), ~40 % with an e-mail, ~50 % with a budget; ~5 % repeat an earlier phone (written differently)
to hit the dedupe merge, ~3 % name an existing customer's company (the linked path). Every request has a unique
Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import sys
import time
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国文辉鹏飞宇浩然婷雪梅琳晨阳欣怡子涵佳俊凯志红玉海波丹思远博雨萱"
TITLES = ("", "", "", "先生", "女士", "经理", "总", "工")
# Different words from bench/_generate.py's, so most companies are new (routed), not existing accounts (linked).
WORDS = "瀚宇晟泽铭锐珂霖翊朗昊璟睿琪骏熠炜烨珩琛钧锦澜沐岚峻崇弘毅煜灏湛霆蔚桐"
CITIES = (
    "北京", "北京市", "天津", "石家庄", "太原", "济南", "青岛市", "上海", "上海市", "杭州", "杭州市", "南京", "苏州", "苏州市",
    "宁波", "合肥", "无锡", "嘉兴", "温州", "广州", "广州市", "深圳", "深圳市", "东莞", "佛山", "厦门", "珠海", "惠州", "南宁",
    "武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳", "成都", "成都市", "重庆", "昆明", "贵阳", "西安", "兰州", "银川", "乌鲁木齐",
    "沈阳", "大连", "哈尔滨", "长春",
)
ODD_CITIES = ("", "", "香港", "海外", "未知")
INDUSTRIES = {"制造业": "机械", "医疗": "医疗器械", "教育": "教育科技", "政府": "信息中心", "零售": "商贸", "金融": "投资",
              "物流": "物流", "能源": "新能源", "互联网": "网络科技", "建筑": "建设工程", "汽车": "汽车零部件", "化工": "新材料"}
SUFFIXES = ("有限公司", "有限公司", "股份有限公司", "科技有限公司", "(中国)有限公司", "集团有限公司")
SIZES = ("", "", "1-49", "50-199", "200-999", "1000+")
SOURCES = ("web_form", "web_form", "web_form", "wecom", "dingtalk", "phone", "event", "referral", "other")
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "foxmail.com", "sina.com", "outlook.com")
PINYIN = ("zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo")


def _phone_text(rng: random.Random, digits: str) -> str:
    """One number written the ways people type it."""
    r = rng.random()
    if r < 0.6:
        return digits
    if r < 0.75:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if r < 0.88:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if r < 0.95:
        return f"86{digits}"
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


def bodies(*, n: int, seed: int, prefix: str, account_names: list[str]) -> list[dict[str, Any]]:
    """n realistic lead bodies; deterministic for a seed."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    phones: list[str] = []
    for i in range(n):
        industry = rng.choice(tuple(INDUSTRIES))
        city = rng.choice(ODD_CITIES) if rng.random() < 0.03 else rng.choice(CITIES)
        repeat = i > 200 and rng.random() < 0.05
        if repeat:
            # An earlier arrival's phone, at least ~1 s of arrivals back so that lead is committed.
            digits = phones[rng.randrange(0, len(phones) - 200)]
        else:
            digits = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            phones.append(digits)
        if account_names and rng.random() < 0.03:
            company = rng.choice(account_names)  # an existing customer: the lead is linked to it
        elif rng.random() < 0.9:
            place = city.removesuffix("市") if city and city not in ODD_CITIES else rng.choice(CITIES).removesuffix("市")
            company = f"{place}{rng.choice(WORDS)}{rng.choice(WORDS)}{INDUSTRIES[industry]}{rng.choice(SUFFIXES)}"
        else:
            company = ""
        name = rng.choice(SURNAMES) + ("".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))) if rng.random() < 0.7 else "") + rng.choice(TITLES)
        body: dict[str, Any] = {"source": rng.choice(SOURCES), "name": name, "company": company, "phone": _phone_text(rng, digits),
                                "industry": industry, "city": city}
        if rng.random() < 0.4:
            body["email"] = f"{rng.choice(PINYIN)}{rng.choice(PINYIN)}{rng.randrange(10000)}@{rng.choice(MAIL_DOMAINS)}"
        if rng.random() < 0.5:
            body["budget"] = rng.randrange(1, 300) * 10_000
        size = rng.choice(SIZES)
        if size:
            body["company_size"] = size
        body["_key"] = f"{prefix}-{i:06d}"
        body["_repeat"] = repeat
        out.append(body)
    return out


def request_bytes(*, host: str, port: int, token: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps({k: v for k, v in body.items() if not k.startswith("_")}, ensure_ascii=False).encode()
    head = (
        f"POST /api/leads HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Idempotency-Key: {body['_key']}\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


_OUTCOME = re.compile(rb"\r\nx-capture-outcome:\s*(\w+)", re.IGNORECASE)
_LEAD_ID = re.compile(rb'"id":\s*"([^"]+)"')


async def _one(host: str, port: int, data: bytes, timeout: float) -> tuple[int, bytes, float]:
    """Send one request on a new connection; (status, raw response, time the request was written)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(data)
        sent = time.perf_counter()
        raw = await asyncio.wait_for(reader.read(-1), timeout)  # Connection: close -> read to EOF
    finally:
        writer.close()
    status = int(raw[9:12]) if raw.startswith(b"HTTP/1.") else 0
    return status, raw, sent


async def _run(*, host: str, port: int, requests: list[bytes], rate: float, timeout: float) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in requests]
    tasks = []
    start = time.perf_counter() + 0.05

    async def fire(i: int, due: float) -> None:
        began = time.perf_counter()
        try:
            status, raw, sent = await _one(host, port, requests[i], timeout)
            error = ""
        except Exception as exc:  # noqa: BLE001 - every failure is a sample (status 0) with its reason
            status, raw, sent, error = 0, b"", began, f"{type(exc).__name__}: {exc}"[:200]
        done = time.perf_counter()
        head_end = raw.find(b"\r\n\r\n")
        head = raw[:head_end] if head_end > 0 else b""
        outcome = _OUTCOME.search(head)
        lead = _LEAD_ID.search(raw, head_end if head_end > 0 else 0)
        results[i] = {
            "t": round(due - start, 4), "ms": round((done - due) * 1000, 2), "service_ms": round((done - sent) * 1000, 2),
            "lag_ms": round((began - due) * 1000, 2), "status": status,
            "outcome": outcome.group(1).decode() if outcome else "", "lead": lead.group(1).decode() if lead else "",
            **({"error": error} if error else {}),
            **({"body": raw[head_end + 4:head_end + 300].decode(errors="replace")} if status >= 400 or (status == 0 and raw) else {}),
        }

    for i in range(len(requests)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(i, due)))
    await asyncio.gather(*tasks)
    return results


def main() -> None:
    config = json.loads(open(sys.argv[1], encoding="utf-8").read())
    host, port, token = config["host"], int(config["port"]), config["token"]
    rate, seconds = float(config["rate"]), float(config["seconds"])
    n = int(rate * seconds)
    warm_n = int(config.get("warmup_rate", 40) * config.get("warmup_seconds", 3))
    prefix = config["prefix"]
    all_bodies = bodies(n=warm_n + n, seed=int(config.get("seed", 1)), prefix=prefix, account_names=config.get("account_names", []))
    warm, timed = all_bodies[:warm_n], all_bodies[warm_n:]
    warm_req = [request_bytes(host=host, port=port, token=token, body=b) for b in warm]
    timed_req = [request_bytes(host=host, port=port, token=token, body=b) for b in timed]
    timeout = float(config.get("timeout", 30))

    if warm_req:
        warm_results = asyncio.run(_run(host=host, port=port, requests=warm_req, rate=config.get("warmup_rate", 40), timeout=timeout))
        bad = [r for r in warm_results if r["status"] not in (200, 201)]
        if len(bad) == len(warm_results):
            print(json.dumps({"error": "every warm-up request failed", "sample": bad[:3]}, ensure_ascii=False))
            return
    time.sleep(float(config.get("pause", 1.0)))
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    results = asyncio.run(_run(host=host, port=port, requests=timed_req, rate=rate, timeout=timeout))
    wall = time.perf_counter() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    for r, b in zip(results, timed, strict=True):
        r["key"], r["repeat"] = b["_key"], b["_repeat"]
    with open(config["out"], "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(json.dumps({
        "requests": len(results), "warmup_requests": len(warm_req), "wall_s": round(wall, 2),
        "generator_cpu_s": round(cpu_s, 2), "generator_cpu_share": round(cpu_s / wall, 3), "pid": os.getpid(),
    }))


if __name__ == "__main__":
    main()
