"""Derive cities.csv and aliases.csv from the cpca package's adcode table (MIT, see LICENSE-cpca.txt).

Not run by the application or the tests: it documents how the committed CSVs were made. To re-run:

    pip download cpca==0.5.5 pypinyin==0.55.0 --no-deps -d /tmp/geo
    (cd /tmp/geo && unzip -o -q 'cpca-*.whl' && unzip -o -q 'pypinyin-*.whl')
    PYTHONPATH=/tmp/geo python xiaoguan/geo/data/derive_cities.py /tmp/geo/cpca/resources

cpca's coordinates come from a Chinese map service and are GCJ-02 ("Mars coordinates"); they are converted to WGS84
here with the usual iterative inverse (error well under a metre).
"""

from __future__ import annotations

import csv
import math
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MUNICIPALITIES = {"11", "12", "31", "50"}
SARS = {"81", "82"}
# Prefecture-level units abolished after the cpca snapshot: the old name stays as an alias of its successor.
ABOLISHED = {"371200": ("莱芜", "370100")}
# Former names still seen on business cards and in old spreadsheets.
EXTRA_ALIASES = {"襄樊": "420600", "思茅": "530800", "莱芜": "370100", "克州": "653000"}
ETHNIC_SHORT = ("蒙古", "哈萨克", "柯尔克孜", "维吾尔", "藏", "回", "壮")


def gcj_to_wgs(lng: float, lat: float) -> tuple[float, float]:
    a, ee = 6378245.0, 0.00669342162296594323

    def forward(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - 105.0, y - 35.0
        t_lat = -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * math.sqrt(abs(dx))
        t_lat += (20.0 * math.sin(6.0 * dx * math.pi) + 20.0 * math.sin(2.0 * dx * math.pi)) * 2.0 / 3.0
        t_lat += (20.0 * math.sin(dy * math.pi) + 40.0 * math.sin(dy / 3.0 * math.pi)) * 2.0 / 3.0
        t_lat += (160.0 * math.sin(dy / 12.0 * math.pi) + 320 * math.sin(dy * math.pi / 30.0)) * 2.0 / 3.0
        t_lng = 300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * math.sqrt(abs(dx))
        t_lng += (20.0 * math.sin(6.0 * dx * math.pi) + 20.0 * math.sin(2.0 * dx * math.pi)) * 2.0 / 3.0
        t_lng += (20.0 * math.sin(dx * math.pi) + 40.0 * math.sin(dx / 3.0 * math.pi)) * 2.0 / 3.0
        t_lng += (150.0 * math.sin(dx / 12.0 * math.pi) + 300.0 * math.sin(dx / 30.0 * math.pi)) * 2.0 / 3.0
        rad = y / 180.0 * math.pi
        magic = 1 - ee * math.sin(rad) ** 2
        sqrt_magic = math.sqrt(magic)
        d_lat = (t_lat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * math.pi)
        d_lng = (t_lng * 180.0) / (a / sqrt_magic * math.cos(rad) * math.pi)
        return x + d_lng, y + d_lat

    x, y = lng, lat
    for _ in range(30):
        fx, fy = forward(x, y)
        x, y = x - (fx - lng), y - (fy - lat)
        if abs(fx - lng) < 1e-9 and abs(fy - lat) < 1e-9:
            break
    return x, y


def strip_ethnic(name: str, nations: list[str]) -> str:
    changed = True
    while changed:
        changed = False
        for nation in nations + list(ETHNIC_SHORT):
            if name.endswith(nation) and len(name) - len(nation) >= 2:
                name, changed = name[: -len(nation)], True
    return name


def short_name(name: str, nations: list[str]) -> str:
    for suffix in ("特别行政区", "自治区", "自治州", "自治县", "地区", "林区", "省", "盟", "市", "县", "区"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return strip_ethnic(name[: -len(suffix)], nations)
    return name


def main(resources: Path) -> None:
    from pypinyin import lazy_pinyin  # type: ignore[import-not-found]  # only when re-deriving, see the docstring

    nations = [n.strip() for n in (resources / "56_nations.csv").read_text(encoding="utf-8").split() if n.strip()]
    rows = {r["adcode"][:6]: r for r in csv.DictReader((resources / "adcodes.csv").open(encoding="utf-8"))}
    provinces = {code[:2]: r["name"] for code, r in rows.items() if code.endswith("0000")}
    cities: dict[str, dict[str, str]] = {}

    def add(code: str, row: dict[str, str], name: str, kind: str) -> None:
        province = provinces[code[:2]]
        lng, lat = gcj_to_wgs(float(row["longitude"]), float(row["latitude"]))
        short = short_name(name, nations)
        cities[code] = {
            "adcode": code, "name": name, "short": short, "province": province, "province_short": short_name(province, nations),
            "lat": f"{lat:.4f}", "lng": f"{lng:.4f}", "pinyin": "".join(lazy_pinyin(short)).lower(), "kind": kind,
        }

    for code, row in sorted(rows.items()):
        pp, cc, dd = code[:2], code[2:4], code[4:]
        if pp == "71":
            continue  # Taiwan: the snapshot has no prefecture-level rows
        if cc == "00" and dd == "00" and (pp in MUNICIPALITIES or pp in SARS):
            add(code, row, row["name"].removesuffix("特别行政区"), "municipality" if pp in MUNICIPALITIES else "sar")
        elif cc != "00" and dd == "00" and cc != "90" and pp not in MUNICIPALITIES and code not in ABOLISHED:
            add(code, row, row["name"], "prefecture")
        elif cc == "90" and dd != "00" and row["longitude"]:
            add(code, row, row["name"], "direct")

    def city_of(code: str) -> str | None:
        if code[:2] in MUNICIPALITIES or code[:2] in SARS:
            return code[:2] + "0000"
        if code in cities:
            return code
        target = code[:4] + "00"
        if target in ABOLISHED:
            return ABOLISHED[target][1]
        return target if target in cities else None

    # Counties, districts and county-level cities name their prefecture; only names that are unique nationwide.
    candidates: dict[str, set[str]] = {}
    for code, row in rows.items():
        if code.endswith("00") or code[2:4] == "90":
            continue
        city = city_of(code)
        if city is None:
            continue
        for alias in {row["name"], short_name(row["name"], nations)}:
            candidates.setdefault(alias, set()).add(city)
    taken = {c["name"] for c in cities.values()} | {c["short"] for c in cities.values()}
    taken |= set(provinces.values()) | {short_name(p, nations) for p in provinces.values()}
    aliases = {alias: next(iter(found)) for alias, found in candidates.items() if len(found) == 1 and len(alias) >= 2 and alias not in taken}
    aliases.update(EXTRA_ALIASES)

    fields = ["adcode", "name", "short", "province", "province_short", "lat", "lng", "pinyin", "kind"]
    with (HERE / "cities.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(cities[c] for c in sorted(cities))
    with (HERE / "aliases.csv").open("w", encoding="utf-8", newline="") as out:
        writer2 = csv.writer(out, lineterminator="\n")
        writer2.writerow(["alias", "adcode"])
        writer2.writerows(sorted(aliases.items()))
    kinds = Counter(c["kind"] for c in cities.values())
    sys.stdout.write(f"{len(cities)} cities {dict(kinds)}, {len(aliases)} aliases\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
