"""The JSON API, mounted at /api/ (config/urls.py). OpenAPI document at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Router
from ninja.operation import Operation

from xiaoguan.api.auth import api_auth
from xiaoguan.api.errors import errors_install, not_found
from xiaoguan.api.routers import accounts, activities, call_logs, finance, leads, opportunities, org
from xiaoguan.api.wire import DecimalJSONParser, Utf8JSONRenderer

DESCRIPTION = """
销管 JSON 接口。

- **认证**：`Authorization: Bearer <key>`（`xiaoguan apitoken --email …` 生成），或同源页面的登录会话（写操作需 CSRF 令牌）。
- **编号**：`id` 以及 `account_id`、`owner_id` 等引用都是外部编号（与导入导出格式一致）。
- **可见范围**与页面相同：看不到的记录一律 404。
- **时间**：ISO 8601，带时区（组织时区 Asia/Shanghai）。**金额**：数字，2 位小数。
- **分页**：`limit`（≤200）/`offset`；返回 `{"items", "count", "count_capped", "next"}`。`count` 最多数到 10000
  （超过时 `count_capped` 为 true），以免每次请求都对百万行做全表计数；`next` 为下一页地址或 null。
- **错误**：所有 4xx 都是 `{"code", "message", "errors": [{"field", "message"}]}`，语言随 `Accept-Language`（默认中文）。
"""


class XiaoguanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Short, stable ids (`leads_create`) read better in generated clients than module paths.
        return operation.view_func.__name__


api = XiaoguanAPI(
    title="xiaoguan 销管 API", version="1", description=DESCRIPTION, auth=api_auth, urls_namespace="api",
    renderer=Utf8JSONRenderer(), parser=DecimalJSONParser(),
)
errors_install(api)
api.add_router("/", org.router)
api.add_router("/accounts", accounts.router)
api.add_router("/contacts", accounts.contacts_router)
api.add_router("/leads", leads.router)
api.add_router("/opportunities", opportunities.router)
api.add_router("/pipelines", opportunities.pipelines_router)
api.add_router("/activities", activities.activities_router)
api.add_router("/tasks", activities.tasks_router)
api.add_router("/touch-events", activities.touch_events_router)
api.add_router("/invoices", finance.invoices_router)
api.add_router("/targets", finance.targets_router)
api.add_router("/call-logs", call_logs.router)

# Last: any other path under /api/ is a JSON 404 in the one error shape, not Django's HTML page.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False)
def unknown_path(request: HttpRequest, rest: str) -> Any:
    raise not_found()


api.add_router("/", fallback)
