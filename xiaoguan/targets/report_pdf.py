"""The target-fit report as a PDF (fpdf2), in Chinese: it needs a CJK font found on this machine.

Where the font comes from, in order: the setting XIAOGUAN_PDF_FONT (a file, `path#face` for a face of a collection;
`none` turns the PDF off), fontconfig's list of fonts covering zh-cn (`fc-list`), then the usual font folders searched
for the families Debian and others ship (Noto Sans CJK from fonts-noto-cjk, Source Han Sans, WenQuanYi, Droid Sans
Fallback). A candidate counts only if it really has the report's characters. Without one there is no PDF: the page
says so and offers the page itself (which the browser prints).

fpdf2 embeds only the glyphs used (a subset), so a report is tens of kilobytes, not the font's 20 MB.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from xiaoguan.core.clock import org_tz
from xiaoguan.targets.report import FitView

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
# File names of CJK fonts that cover simplified Chinese, best first.
KNOWN_FONTS = (
    "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf", "NotoSansSC-Regular.ttf",
    "SourceHanSansSC-Regular.otf", "SourceHanSans-Regular.ttc", "wqy-microhei.ttc", "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf", "NotoSerifCJK-Regular.ttc", "NotoSerifSC-Regular.otf",
)  # fmt: skip
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
SAMPLE_TEXT = "目标适配度报告完成概率建议下达调整大区销售"

BAND_FILL = {"green": (220, 242, 227), "amber": (253, 236, 200), "red": (250, 214, 214), "": (245, 246, 248)}
BAND_TEXT = {"green": (22, 110, 60), "amber": (150, 90, 0), "red": (170, 30, 30), "": (120, 120, 120)}


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # the face within a collection (.ttc); 0 for a single font
    family: str


def cjk_font_find() -> CjkFont | None:
    """A font that can write the report in Chinese, or None (then: the page only, and a warning)."""
    return _font_find(str(getattr(settings, "XIAOGUAN_PDF_FONT", "") or ""))


@lru_cache(maxsize=4)
def _font_find(setting: str) -> CjkFont | None:
    if setting.strip().lower() in ("none", "off", "0"):
        return None
    candidates: list[tuple[str, int | None]] = []
    if setting.strip():
        named, _sep, number = setting.strip().partition("#")
        candidates.append((str(Path(named).expanduser()), int(number) if number.isdigit() else None))
    else:
        candidates += _fontconfig_candidates()
        candidates += [(str(p), None) for p in _folder_candidates()]
    seen: set[tuple[str, int | None]] = set()
    for path, face in candidates:
        if (path, face) in seen:
            continue
        seen.add((path, face))
        found = _usable(path, face)
        if found is not None:
            return found
    return None


def _rank(path: str) -> int:
    name = Path(path).name
    return KNOWN_FONTS.index(name) if name in KNOWN_FONTS else len(KNOWN_FONTS)


def _fontconfig_candidates() -> list[tuple[str, int | None]]:
    """Regular faces fontconfig says cover simplified Chinese, the known good families first."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listing = subprocess.run(  # noqa: S603 - a fixed command, no user input
            [fc_list, "-f", "%{file}|%{index}|%{style[0]}\n", ":lang=zh-cn"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: list[tuple[str, int | None]] = []
    for line in listing.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].lower().endswith(FONT_SUFFIXES):
            continue
        path, index, style = parts
        if style.strip().lower() not in ("regular", "book", "normal", "medium", "r"):
            continue
        # fontconfig lists every face of a collection (Noto's Japanese one first): let _usable pick the simplified one.
        face = None if path.lower().endswith((".ttc", ".otc")) else (int(index) if index.isdigit() else None)
        if (path, face) not in found:
            found.append((path, face))
    return sorted(found, key=lambda item: (_rank(item[0]), item[0]))


def _folder_candidates() -> list[Path]:
    found = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            found += [p for name in KNOWN_FONTS for p in root.rglob(name)]
    return sorted(set(found), key=lambda p: (_rank(str(p)), str(p)))


def _usable(path: str, face: int | None) -> CjkFont | None:
    """The font (the simplified-Chinese face of a collection when none is named) if it has the report's characters."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError  # type: ignore[import-untyped]  # fpdf2 depends on fontTools

    file = Path(path)
    if not file.is_file() or file.suffix.lower() not in FONT_SUFFIXES:
        return None
    try:
        if file.suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(str(file), lazy=True).fonts
            order = [face] if face is not None else sorted(range(len(faces)), key=lambda i: not _is_simplified(faces[i]))
            for i in order:
                if 0 <= i < len(faces) and _covers(faces[i]):
                    return CjkFont(path=str(file), index=i, family=_family(faces[i]))
            return None
        font = TTFont(str(file), lazy=True)
        return CjkFont(path=str(file), index=0, family=_family(font)) if _covers(font) else None
    except (OSError, TTLibError, KeyError, ValueError, AssertionError):
        return None


def _family(font: object) -> str:
    name = font["name"].getDebugName(1)  # type: ignore[index]
    return str(name or "")


def _is_simplified(font: object) -> bool:
    family = _family(font)
    return " SC" in family or family.endswith("SC") or "GB" in family


def _covers(font: object) -> bool:
    cmap = font.getBestCmap() or {}  # type: ignore[attr-defined]
    return all(ord(ch) in cmap for ch in SAMPLE_TEXT)


# ------------------------------------------------------------------------------------------------------------ rendering


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _wan(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 10_000:,.1f}"


def target_fit_pdf(*, view: FitView, font: CjkFont, scope: str, generated_at: datetime) -> bytes:
    """The report for one viewer (the same cut as the page), A4 landscape."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    title = _("目标适配度报告")
    report = view.report
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{title} {report.month}")
    pdf.set_creator("xiaoguan")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(12, 12, 12)
    pdf.alias_nb_pages()
    pdf.set_font("cjk", size=9)

    def footer() -> None:
        pdf.set_y(-9)
        pdf.set_font("cjk", size=7)
        pdf.set_text_color(120, 120, 120)
        pdf.cell(0, 4, f"{title} {report.month} · {pdf.page_no()}/{{nb}}", align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("cjk", size=9)

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()
    heading = FontFace(emphasis=None, fill_color=(238, 241, 246))

    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, f"{title} · {report.month}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    as_of = report.as_of.astimezone(org_tz()).strftime("%Y-%m-%d %H:%M")
    pdf.multi_cell(0, 5, _("目标周期 %(period)s · 数据截至 %(as_of)s · 范围：%(scope)s · 导出于 %(at)s") % {
        "period": report.period, "as_of": as_of, "scope": scope, "at": generated_at.astimezone(org_tz()).strftime("%Y-%m-%d %H:%M"),
    }, new_x="LMARGIN", new_y="NEXT", align="L")  # fmt: skip
    pdf.multi_cell(0, 5, _("完成概率 = 模拟中（本期已成交 + 模拟的剩余成交）达到目标的比例。绿 ≥ %(green)s，黄 %(amber)s–%(green)s，红 < %(amber)s。金额单位：万元。") % {
        "green": _pct(view.thresholds["green"]), "amber": _pct(view.thresholds["amber"]),
    }, new_x="LMARGIN", new_y="NEXT", align="L")  # fmt: skip
    if view.note:
        pdf.multi_cell(0, 5, view.note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    totals = view.totals
    pdf.ln(1)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 6, _("建议目标合计 %(proposed)s · 调整后 %(amount)s · 下达目标 %(imposed)s · 本期已成交 %(won)s") % {
        "proposed": _wan(totals["proposed"]), "amount": _wan(totals["amount"]), "imposed": _wan(totals["imposed"]),
        "won": _wan(totals["won_so_far"]),
    }, new_x="LMARGIN", new_y="NEXT", align="L")  # fmt: skip
    pdf.set_font("cjk", size=9)

    def band_face(probability_band: str) -> FontFace:
        return FontFace(emphasis=None, fill_color=BAND_FILL[probability_band], color=BAND_TEXT[probability_band])

    def section(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_font("cjk", size=8.5)

    if view.groups:
        section(_("按团队"))
        with pdf.table(col_widths=(30, 10, 14, 14, 14, 14, 12, 12, 12), headings_style=heading, text_align="RIGHT", line_height=5.5) as table:
            row = table.row()
            for text in (_("团队"), _("人数"), _("建议"), _("调整后"), _("下达"), _("已成交"), _("P(建议)"), _("P(调整后)"), _("P(下达)")):
                row.cell(text, align="C")
            for group in view.groups:
                row = table.row()
                row.cell(("  " * group.depth) + group.name, align="L")
                row.cell(str(group.reps))
                row.cell(_wan(group.proposed))
                row.cell(_wan(group.amount))
                row.cell(_wan(group.imposed))
                row.cell(_wan(group.won_so_far))
                for measure in ("proposed", "amount", "imposed"):
                    row.cell(_pct(group.p(measure)), align="C", style=band_face(group.bands[measure]))

    if view.heat:
        section(_("热力图：下达目标的完成概率（大区 × 销售）"))
        widest = max(len(h.cells) for h in view.heat)
        per_row = min(widest, 8)
        with pdf.table(col_widths=(24, *([1 * 22] * per_row)), headings_style=heading, first_row_as_headings=False, line_height=5, text_align="CENTER") as table:
            for heat in view.heat:
                cells = heat.cells
                for start in range(0, len(cells), per_row):
                    row = table.row()
                    label = heat.region or _("未分大区")
                    if heat.group is not None and start == 0:
                        label += f"\n{_pct(heat.group.p_imposed)}"
                    row.cell(label if start == 0 else "", align="L", style=band_face(heat.group.bands["imposed"]) if heat.group and start == 0 else None)
                    chunk = cells[start:start + per_row]
                    for cell in chunk:
                        row.cell(f"{cell.name}\n{_pct(cell.p_imposed)}", style=band_face(cell.bands["imposed"]))
                    for _pad in range(per_row - len(chunk)):
                        row.cell("")

    section(_("按销售"))
    with pdf.table(
        col_widths=(16, 16, 12, 12, 13, 14, 14, 14, 14, 11, 11, 11), headings_style=heading, text_align="RIGHT", line_height=5
    ) as table:
        row = table.row()
        for text in (_("大区"), _("销售"), _("有效触达"), _("转化率"), _("客单价"), _("建议"), _("调整后"), _("下达"), _("已成交"),
                     _("P(建议)"), _("P(调整后)"), _("P(下达)")):  # fmt: skip
            row.cell(text, align="C")
        for rep in view.reps:
            f = rep.figures
            row = table.row()
            row.cell(rep.region or "—", align="L")
            row.cell(rep.name, align="L")
            row.cell(str(f.get("reach", 0)))
            row.cell(_pct(f.get("conversion")) if f.get("conversion") is None else f"{f['conversion']:.1%}")
            row.cell(_wan(f.get("deal_size")))
            row.cell(_wan(rep.proposed))
            row.cell(_wan(rep.amount) + ("*" if rep.amount != rep.proposed else ""))
            row.cell(_wan(rep.imposed))
            row.cell(_wan(rep.won_so_far))
            for measure in ("proposed", "amount", "imposed"):
                row.cell(_pct(rep.p(measure)), align="C", style=band_face(rep.bands[measure]))
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 4.5, _("* 经理在 ±15% 内调整过（理由见调整记录）。"), new_x="LMARGIN", new_y="NEXT", align="L")

    if view.adjustments:
        section(_("调整记录"))
        with pdf.table(col_widths=(22, 16, 16, 18, 18, 60), headings_style=heading, text_align="LEFT", line_height=5) as table:
            row = table.row()
            for text in (_("时间"), _("调整人"), _("销售"), _("原值"), _("新值"), _("理由")):
                row.cell(text, align="C")
            for adj in view.adjustments:
                row = table.row()
                row.cell(adj.at.astimezone(org_tz()).strftime("%m-%d %H:%M"))
                row.cell(adj.actor)
                row.cell(adj.rep)
                row.cell(_("（采纳）") if adj.accepted else _wan(float(adj.old)) if adj.old else "—")
                row.cell(_wan(float(adj.new)) if adj.new else "—")
                row.cell(adj.reason)

    section(_("建议目标怎么算"))
    pdf.set_font("cjk", size=8.5)
    for line in method_lines(view):
        pdf.multi_cell(0, 4.8, line, new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())


def method_lines(view: FitView) -> list[str]:
    """The formula in words (the page shows the same)."""
    reach = _(
        "有效触达：近 %(months)s 个完整月内拜访、签到、会议、演示，以及通话 ≥ 60 秒（或未记时长但写了内容）的不同客户数"
        "（线索未成客户时按线索计）；群发消息、邮件、发资料不算；被记录真实性判为可能未发生的记录不计。"
    ) % {"months": view.window_months}
    size = _(
        "健康客单价：各大区各产品线近 %(months)s 个月赢单金额的均值（单笔超过全公司该产品线第 95 百分位的按第 95 百分位计）；"
        "不足 10 单的用全公司该产品线水平补足到 10 单。按本人赢单的产品结构加权（向大区结构校正 4 单）。"
    ) % {"months": view.deal_model_months}
    return [
        _("建议目标 = 月均有效触达 × 周期月数 × 触达→赢单转化率 × 健康客单价。"),
        reach,
        _("转化率：同期本人赢单数 ÷ 有效触达客户数，按“再加 30 个按所在大区转化率计的客户”向大区水平校正，样本少的人不会因一两单被高估或低估。"),
        size,
        _(
            "完成概率：在预测模型的每一次模拟中，本期已成交 + 模拟的剩余成交 ≥ 目标即算达成；团队按成员在同一次模拟中的合计计算。"
            "经理可在建议值 ±15% 内调整，须写理由，调整后的概率由同一组模拟读出。"
        ),
    ]
