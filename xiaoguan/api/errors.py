"""One error body for every 4xx: `{"code", "message", "errors": [{"field", "message"}]}`, in the user's language.

Domain errors (core/errors.py), Django's model validation, ninja's request validation, 404s and auth failures all
leave through here, so a client parses one shape. Anything else is a bug and stays a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xiaoguan.core.errors import DomainError, InvalidStateError, NotAllowedError, ValidationFailedError

logger = logging.getLogger(__name__)

PARAM_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})
# Every body parameter of the routers is called `payload`; it is not part of the field name a client sees.
BODY_PARAM = "payload"


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldErrorOut] = []


ERROR_STATUSES = (400, 401, 403, 404, 409, 422)


def with_errors(ok: Mapping[int, Any]) -> dict[int, Any]:
    """A response map for an operation: its success schema(s) plus the error body for every 4xx it may give."""
    return {**ok, **dict.fromkeys(ERROR_STATUSES, ErrorOut)}


def not_found() -> Http404:
    return Http404(_("找不到该记录"))


def _body(code: str, message: str, errors: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": [{"field": f, "message": m} for f, m in errors]}


def _respond(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


def _field_name(loc: Iterable[Any]) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in PARAM_SOURCES else ""
    if source == "body" and parts and parts[0] == BODY_PARAM:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or source or "body"


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind: str = error.get("type", "")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return _("必填")
    if kind == "string_too_long":
        return _("最多 %(n)s 个字") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("不能为空") if ctx.get("min_length") == 1 else _("至少 %(n)s 个字") % {"n": ctx.get("min_length")}
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
        return _("取值无效，可选：%(expected)s") % {"expected": expected}
    if kind.startswith("int_"):
        return _("请填写整数")
    if kind.startswith(("decimal_parsing", "decimal_type", "float_", "finite_number")):
        return _("请填写数字")
    if kind == "decimal_max_places":
        return _("最多 %(n)s 位小数") % {"n": ctx.get("decimal_places")}
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("数值过大")
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return _("不能为负数") if str(bound) == "0" and kind == "greater_than_equal" else _("应大于 %(n)s") % {"n": bound}
    if kind in ("less_than_equal", "less_than"):
        return _("不能大于 %(n)s") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind.startswith(("datetime_", "timezone_")):
        return _("时间格式有误，请用 ISO 8601，例如 2025-03-07T15:42:10+08:00")
    if kind.startswith("date_"):
        return _("日期格式有误，请用 YYYY-MM-DD")
    if kind.startswith("bool_"):
        return _("请填写 true 或 false")
    if kind == "string_type":
        return _("请填写文字")
    if kind == "extra_forbidden":
        return _("不认识的字段")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("应为 JSON 对象")
    if kind in ("list_type", "too_long", "too_short"):
        return _("列表格式有误")
    if kind == "string_pattern_mismatch":
        return _("格式不正确")
    if kind == "value_error":
        # Our own validators raise ValueError with a message already in the user's language.
        return str(ctx.get("error", "")).removeprefix("Value error, ") or _("输入有误")
    return _("输入有误")


# Services and models name relations by the model field (`account`); the API's bodies call them `account_id`.
_REFERENCE_FIELDS = frozenset({"account", "opportunity", "lead", "region", "owner", "contact", "team", "manager"})


def _api_field(field: str) -> str:
    if field == NON_FIELD_ERRORS:
        return ""
    return f"{field}_id" if field in _REFERENCE_FIELDS else field


def _django_errors(exc: DjangoValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(_api_field(field), str(m)) for field, messages in exc.message_dict.items() for m in messages]
    return [("", str(m)) for m in exc.messages]


def errors_install(api: NinjaAPI) -> None:
    """Register the handlers that turn every expected failure into the one error body."""

    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [(_field_name(e.get("loc", ())), _pydantic_message(e)) for e in exc.errors]
        return _respond(api, request, 422, _body("validation_failed", _("输入有误"), errors))

    def domain_invalid(request: HttpRequest, exc: ValidationFailedError) -> HttpResponse:
        errors = [(_api_field(field), str(m)) for field, messages in exc.field_errors.items() for m in messages]
        return _respond(api, request, 422, _body(exc.code, exc.message, errors))

    def model_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return _respond(api, request, 422, _body("validation_failed", _("输入有误"), _django_errors(exc)))

    def not_allowed(request: HttpRequest, exc: NotAllowedError) -> HttpResponse:
        return _respond(api, request, 403, _body(exc.code, exc.message))

    def invalid_state(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _respond(api, request, 409, _body(exc.code, exc.message))

    def missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, _body("not_found", _("找不到该记录")))

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _respond(api, request, 401, _body("unauthorized", _("请先登录，或在 Authorization 头中提供有效的接口令牌 (Bearer)")))
        response["WWW-Authenticate"] = 'Bearer realm="xiaoguan"'
        return response

    def database_refused(request: HttpRequest, exc: DataError) -> HttpResponse:
        # Every field is checked against its column before a service runs, so this means a service combined valid
        # values into one that does not fit (e.g. a default name built from two long ones). The service's
        # transaction has rolled back; the caller gets a 4xx, the log gets the details for a fix.
        logger.warning("database refused an API write: %s %s: %s", request.method, request.path, exc)
        return _respond(api, request, 422, _body("validation_failed", _("输入有误：有内容超出了允许的长度或范围")))

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _respond(api, request, 413, _body("too_large", _("请求体过大")))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if status == 400:
            return _respond(api, request, 400, _body("bad_request", _("请求体不是有效的 JSON")))
        if status == 403:
            return _respond(api, request, 403, _body("csrf_failed", _("CSRF 校验失败，请刷新页面后重试")))
        return _respond(api, request, status, _body(f"http_{status}", str(exc)))

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (NinjaValidationError, request_invalid),
        (ValidationFailedError, domain_invalid),
        (DjangoValidationError, model_invalid),
        (NotAllowedError, not_allowed),
        (InvalidStateError, invalid_state),
        (DomainError, invalid_state),
        (Http404, missing),
        (AuthenticationError, unauthenticated),
        (HttpError, http_error),
        (RequestDataTooBig, too_big),
        (DataError, database_refused),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
