"""Reads of keyword evidence: the compiled matcher of the current dictionaries, and an activity's evidence."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet

from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.evidence.matcher import DictionarySpec, Matcher
from xiaoguan.evidence.models import ActivityEvidence, KeywordDictionary
from xiaoguan.opportunities.models import Opportunity

COMPETITOR_CODE = "competitor"
# Compiling takes milliseconds; the dictionaries' signature is read on every scan so an edit counts at once.
_matchers = ProcessCache("evidence.matcher", seconds=300.0, models=(KeywordDictionary,))
_learned = ProcessCache("evidence.competitors", seconds=60.0)


def evidence_cache_clear() -> None:
    _matchers.clear()
    _learned.clear()


def competitors_learned() -> tuple[str, ...]:
    """Competitor names typed on deals (商机的竞争对手): they join the admin's competitor list."""

    def load() -> tuple[str, ...]:
        names = Opportunity.objects.exclude(competitor="").values_list("competitor", flat=True).distinct()
        return tuple(sorted({n.strip() for n in names if 1 < len(n.strip()) <= 30}))

    return _learned.get("names", load)


def keyword_dictionary_list() -> QuerySet[KeywordDictionary]:
    return KeywordDictionary.objects.order_by("pk")


def keyword_matcher() -> Matcher:
    """The matcher of the enabled dictionaries (and the competitors learned from deals)."""
    signature = KeywordDictionary.objects.aggregate(n=Count("pk"), v=Max("version"), at=Max("updated_at"))
    learned = competitors_learned()
    key = f"{signature['n']}:{signature['v']}:{signature['at']}:{hash(learned)}"

    def load() -> Matcher:
        specs = []
        for row in KeywordDictionary.objects.filter(enabled=True).order_by("pk"):
            words = tuple(w for w in row.words if isinstance(w, str) and w.strip())
            if row.code == COMPETITOR_CODE:
                words = tuple(dict.fromkeys((*words, *learned)))
            specs.append(DictionarySpec(code=row.code, label=row.label, stage_key=row.stage_key, words=words, is_competitor=row.is_competitor))
        return Matcher(specs)

    return _matchers.get(key, load)


def activity_evidence_list(*, activity_ids: list[int]) -> QuerySet[ActivityEvidence]:
    return ActivityEvidence.objects.filter(activity_id__in=activity_ids).order_by("activity_id", "code")
