"""limit/offset pagination with `{"items", "count", "next"}`.

Counting is the expensive part of a page on a big table (a full COUNT over a million leads on every call), so the
count is exact only up to COUNT_CAP rows: the database stops counting there (`COUNT(*)` over a `LIMIT` subquery)
and `count_capped` tells the client that `count` is a lower bound. `next` does not need the count: each page reads
one row more than it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from xiaoguan.api.schemas.common import QueryInt

COUNT_CAP = 10_000
LIMIT_MAX = 200
LIMIT_DEFAULT = 50
# Deep offsets are slow on any database; past this, narrow the filters instead.
OFFSET_MAX = 1_000_000


class PageParams(Schema):
    limit: QueryInt = Field(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description=f"每页条数，最多 {LIMIT_MAX}")
    offset: QueryInt = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数")


class Page(Schema):
    count: int = Field(description=f"符合条件的条数；超过 {COUNT_CAP} 时为 {COUNT_CAP} 且 count_capped 为 true")
    count_capped: bool = Field(description="count 是否只是下限")
    next: str | None = Field(description="下一页的地址；没有下一页时为 null")
    items: list[Any]


def page_build[M: Model](*, request: HttpRequest, queryset: QuerySet[M], params: PageParams, item: Callable[[M], Any]) -> dict[str, Any]:
    """One page of `queryset` (already ordered), each row rendered by `item`."""
    rows = list(queryset[params.offset : params.offset + params.limit + 1])
    has_next = len(rows) > params.limit
    rows = rows[: params.limit]
    if params.offset == 0 and not has_next:
        count = len(rows)  # the whole result is on this page: no query needed
    else:
        count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    next_url = None
    if has_next:
        query = request.GET.copy()
        query["offset"] = str(params.offset + params.limit)
        query["limit"] = str(params.limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"count": min(count, COUNT_CAP), "count_capped": capped, "next": next_url, "items": [item(row) for row in rows]}
