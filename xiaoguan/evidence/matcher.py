"""The keyword scan, pure: normalise text, find every dictionary word with one Aho-Corasick pass, explain each hit.

Matching is on a normalised copy of the text, and every hit is reported at its offsets in the original:
- NFKC: full-width letters, digits and punctuation become half-width (ＡＢＢ → ABB, ５万 → 5万, ￥ → ¥);
- traditional forms of the dictionary words' characters become simplified (報價 → 报价, 比價 → 比价);
- letters are lower-cased, and white space is dropped (报 价 → 报价; "Thermo Fisher" → thermofisher).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ahocorasick
import zhconv

_FOLD = {ord(c): ord(c) + 32 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_SPACE = re.compile(r"\s")
# A price: a currency sign and a number, a number with a money unit, or a price word followed closely by a number.
PRICE = re.compile(
    r"[¥$]\s*\d[\d,]*(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:万元|万|元|块钱|块|千元|k|w|亿)"
    r"|[一二两三四五六七八九十百千]+(?:万元|万|元)"
    r"|(?:报价|价格|价钱|单价|总价|折扣|便宜|低|高|贵|降价|让利)[^\d。；;!?！？]{0,4}\d+(?:\.\d+)?\s*(?:%|％|折|万元|万|元|块|个点)"
)


@dataclass(frozen=True)
class DictionarySpec:
    code: str
    label: str
    stage_key: str
    words: tuple[str, ...]
    is_competitor: bool = False


@dataclass(frozen=True)
class Hit:
    code: str
    word: str  # the dictionary word
    text: str  # as written in the original
    start: int  # offsets in the original text
    end: int


@dataclass
class ScanResult:
    hits: list[Hit] = field(default_factory=list)
    prices: list[tuple[str, int, int]] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {hit.code for hit in self.hits}


def _variants(word: str) -> set[str]:
    return {word, *(zhconv.convert(word, locale) for locale in ("zh-hant", "zh-tw", "zh-hk"))}


def normalise_word(word: str, table: dict[int, int] | None = None) -> str:
    text = unicodedata.normalize("NFKC", word).translate(_FOLD)
    if table:
        text = text.translate(table)
    return _SPACE.sub("", text)


class Matcher:
    """Compiled once per dictionary version; `scan` is then one pass of C code per text plus the offset map."""

    def __init__(self, dictionaries: Iterable[DictionarySpec]) -> None:
        self.dictionaries = {d.code: d for d in dictionaries}
        # Traditional → simplified for every character the dictionaries use, so text is folded with one translate().
        self.table: dict[int, int] = {}
        for spec in self.dictionaries.values():
            for word in spec.words:
                for variant in _variants(word):
                    if len(variant) == len(word):
                        for a, b in zip(variant, word, strict=True):
                            if a != b:
                                self.table[ord(a)] = ord(b)
        self.table.update(_FOLD)
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, str]]] = {}
        for spec in self.dictionaries.values():
            for word in spec.words:
                key = normalise_word(word, self.table)
                if key:
                    entries.setdefault(key, []).append((spec.code, word))
        for key, owners in entries.items():
            self.automaton.add_word(key, (len(key), tuple(owners)))
        self.empty = not entries
        if not self.empty:
            self.automaton.make_automaton()
        self.competitor_codes = frozenset(code for code, spec in self.dictionaries.items() if spec.is_competitor)

    def normalise(self, text: str) -> tuple[str, list[int] | None]:
        """The folded text and, when it differs in length, each folded character's offset in the original."""
        positions: list[int] | None = None
        if not unicodedata.is_normalized("NFKC", text):
            chars: list[str] = []
            positions = []
            for i, ch in enumerate(text):
                folded = unicodedata.normalize("NFKC", ch)
                chars.append(folded)
                positions.extend([i] * len(folded))
            text = "".join(chars)
        text = text.translate(self.table)
        if _SPACE.search(text) is not None:
            keep = [i for i, ch in enumerate(text) if not ch.isspace()]
            positions = [positions[i] for i in keep] if positions is not None else keep
            text = "".join(text[i] for i in keep)
        return text, positions

    def scan(self, text: str, *, prices: bool = False) -> ScanResult:
        result = ScanResult()
        if not text or self.empty:
            return result
        folded, positions = self.normalise(text)
        for end, (length, owners) in self.automaton.iter(folded):
            start = end - length + 1
            o_start = positions[start] if positions is not None else start
            o_end = (positions[end] if positions is not None else end) + 1
            for code, word in owners:
                result.hits.append(Hit(code=code, word=word, text=text[o_start:o_end], start=o_start, end=o_end))
        if prices:
            for match in PRICE.finditer(folded):
                s, e = match.start(), match.end() - 1
                o_start = positions[s] if positions is not None else s
                o_end = (positions[e] if positions is not None else e) + 1
                result.prices.append((text[o_start:o_end], o_start, o_end))
        return result


def explain(hits: Sequence[Hit], *, field_name: str = "content") -> list[dict[str, object]]:
    return [{"word": h.word, "text": h.text, "field": field_name, "start": h.start, "end": h.end} for h in hits]
