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
_WHITESPACE = [i for i in range(0x3001) if chr(i).isspace()]
# Blocks whose characters NFKC turns into ordinary ones (⼀ → 一, ① → 1, ㈱ → (株), ｶ → カ, 兀 → 兀).
_COMPATIBILITY = "\u2460-\u24ff\u2f00-\u2fdf\u3200-\u33ff\uf900-\ufaff\ufe30-\ufe4f\uff61-\uffef"
# A price: a currency sign and a number, a number with a money unit, or a price word followed closely by a number.
PRICE = re.compile(
    r"[¥$]\s*\d[\d,]*(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:万元|万|元|块钱|块|千元|k|w|亿)"
    r"|[一二两三四五六七八九十百千]+(?:万元|万|元)"
    r"|(?:报价|价格|价钱|单价|总价|折扣|便宜|低|高|贵|降价|让利)[^\d。；;!?！？]{0,4}\d+(?:\.\d+)?\s*(?:%|％|折|万元|万|元|块|个点)"
)


@dataclass(frozen=True)
class Offsets:
    """From an offset in the folded text to one in the original: identity, or past the dropped spaces, or a map."""

    source: str | None = None  # the original, when white space was dropped from it
    mapped: list[int] | None = None  # the original offset of every folded character
    removed: list[int] = field(default_factory=list)  # ascending offsets of the dropped white space

    def original(self, folded: int) -> int:
        if self.mapped is not None:
            return self.mapped[folded]
        if self.source is None:
            return folded
        if not self.removed:
            self.removed.extend(m.start() for m in _SPACE.finditer(self.source))
        # The k-th kept character sits at k plus the number of spaces before it.
        position = folded
        for gap in self.removed:
            if gap <= position:
                position += 1
            else:
                break
        return position


_IDENTITY = Offsets()


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
        self.fold_table: dict[int, int | None] = dict(self.table)
        # White space is dropped (报 价 → 报价): str.translate deletes characters mapped to None.
        # Full-width ASCII (，：（）ＡＢＣ１２３) is what NFKC changes in nearly every Chinese text: folded here, one
        # character for one, so that only rare compatibility characters take the slow per-character path.
        self.strip_table: dict[int, int | None] = {
            **{c: (c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, **self.table, **dict.fromkeys(_WHITESPACE),
        }
        for wide in range(0xFF21, 0xFF3B):  # Ａ-Ｚ → a-z, like the words
            self.strip_table[wide] = wide - 0xFEE0 + 32
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
        # Most texts need no folding for these words: full-width punctuation (，：) never matters to a Chinese word.
        # Folding is needed only for what can: traditional forms of the words' characters, white space, compatibility
        # characters, and — when some word has Latin letters or digits — capitals and full-width letters and digits.
        traditional = "".join(sorted(chr(c) for c in self.table if c not in _FOLD))
        latin = any(ch.isascii() and ch.isalnum() for key in entries for ch in key)
        self.fold_needed = re.compile(
            "[\\s" + re.escape(traditional) + _COMPATIBILITY + ("A-Z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a" if latin else "") + "]"
        )

    def normalise(self, text: str) -> tuple[str, Offsets]:
        """The folded text, and how to find a folded offset in the original."""
        folded = text.translate(self.strip_table)
        if not unicodedata.is_normalized("NFKC", folded):
            # Rare (full-width forms, compatibility characters): a per-character map.
            chars: list[str] = []
            positions: list[int] = []
            for i, ch in enumerate(text):
                folded = unicodedata.normalize("NFKC", ch)
                chars.append(folded)
                positions.extend([i] * len(folded))
            kept = [(c, positions[j]) for j, c in enumerate("".join(chars).translate(self.fold_table)) if not c.isspace()]
            return "".join(c for c, _p in kept), Offsets(mapped=[p for _c, p in kept])
        # The common case, in C: one translate() folded and dropped white space; the spaces' places are found only
        # when a hit needs its offsets.
        if len(folded) == len(text):
            return folded, Offsets()
        return folded, Offsets(source=text)

    def scan(self, text: str, *, prices: bool = False) -> ScanResult:
        result = ScanResult()
        if not text or self.empty:
            return result
        if prices or self.fold_needed.search(text) is not None:
            folded, offsets = self.normalise(text)
        else:
            folded, offsets = text, _IDENTITY
        for end, (length, owners) in self.automaton.iter(folded):
            o_start, o_end = offsets.original(end - length + 1), offsets.original(end) + 1
            for code, word in owners:
                result.hits.append(Hit(code=code, word=word, text=text[o_start:o_end], start=o_start, end=o_end))
        if prices:
            for match in PRICE.finditer(folded):
                o_start, o_end = offsets.original(match.start()), offsets.original(match.end() - 1) + 1
                result.prices.append((text[o_start:o_end], o_start, o_end))
        return result


def explain(hits: Sequence[Hit], *, field_name: str = "content") -> list[dict[str, object]]:
    return [{"word": h.word, "text": h.text, "field": field_name, "start": h.start, "end": h.end} for h in hits]
