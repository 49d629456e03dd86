"""Domain errors. Interfaces turn them into a message in the user's language; nothing is half-written."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the request. `message` is for the user; `code` is stable for the API."""

    code = "domain_error"
    default_message = _("操作未能完成")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.params = params
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class NotAllowedError(DomainError):
    code = "not_allowed"
    default_message = _("你没有权限执行此操作")


class InvalidStateError(DomainError):
    code = "invalid_state"
    default_message = _("当前状态下不能执行此操作")


class ValidationFailedError(DomainError):
    code = "validation_failed"
    default_message = _("输入有误")

    def __init__(self, message: str | None = None, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}
