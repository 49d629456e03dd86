"""What every page module shares: the request type, role flags, paging without counts, domain errors as messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from xiaoguan.core.clock import clock_today, day_start
from xiaoguan.core.errors import DomainError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_list_for
from xiaoguan.core.models import HistoryEntry
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import SEE_ALL_ROLES, phone_for

PAGE_SIZE = 50
MAX_PAGE = 2000
# The roles that work the sales line; others (finance, legal, compliance, engineers) only read what they are given.
SALES_ROLES = frozenset({Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
TEAM_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


class AuthedRequest(HttpRequest):
    """A request behind `login_required`, with django-htmx's details."""

    htmx: HtmxDetails
    user: User  # type: ignore[assignment]


def is_admin(user: User) -> bool:
    return user.is_active and (user.role == Role.ADMIN or user.is_superuser)


def works_sales(user: User) -> bool:
    """Whether the user owns or manages sales records (and so sees activities, tasks and the board)."""
    return user.role in SALES_ROLES


def leads_team(user: User) -> bool:
    return user.role in TEAM_ROLES


def sees_everything(user: User) -> bool:
    return user.role in SEE_ALL_ROLES


def today_bounds() -> tuple[datetime, datetime]:
    """00:00 today and 00:00 tomorrow, organisation time."""
    start = day_start(clock_today())
    return start, start + timedelta(days=1)


def page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


@dataclass
class PageWindow:
    """One page of a list and whether another follows. No total: counting a million rows per page view is not free."""

    items: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1


def page_window(queryset: Any, *, number: int, size: int = PAGE_SIZE) -> PageWindow:
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return PageWindow(items=rows[:size], number=number, has_next=len(rows) > size)


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def form_take_error(form: forms.Form, exc: DomainError) -> None:
    """Show a refused write on the form: field errors beside their fields, anything else on top."""
    if isinstance(exc, ValidationFailedError) and exc.field_errors:
        for field, messages in exc.field_errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        if exc.message and exc.message != str(ValidationFailedError.default_message):
            form.add_error(None, exc.message)
        return
    form.add_error(None, exc.message)


def refusal(exc: DomainError | ValidationError) -> DomainError:
    """A refused write as a domain error: Django's model validation (a service's `full_clean`) becomes field errors."""
    if isinstance(exc, DomainError):
        return exc
    if hasattr(exc, "error_dict"):
        return ValidationFailedError(field_errors={field: list(messages) for field, messages in exc.message_dict.items()})
    return ValidationFailedError(" ".join(exc.messages))


def error_status(exc: DomainError) -> int:
    return 403 if isinstance(exc, NotAllowedError) else 422


def render_form_error(
    request: AuthedRequest, template: str, context: dict[str, Any], *, form: forms.Form, exc: DomainError, form_name: str = "form"
) -> HttpResponse:
    """Re-render the form with the refusal; 403 when it was a permission, 422 otherwise (HTMX swaps 422)."""
    form_take_error(form, exc)
    return render(request, template, {**context, form_name: form}, status=error_status(exc))


def edit_submit(
    request: AuthedRequest,
    *,
    form: Any,
    record: models.Model,
    save: Callable[[dict[str, Any]], object],
    template: str,
    context: dict[str, Any],
    saved_inline: Callable[[], HttpResponse],
    detail_url: str,
    saved_message: str,
    form_name: str = "form",
) -> HttpResponse:
    """The shared tail of every edit view: show the form, or save what changed and answer the way it was asked
    (the re-drawn card for HTMX, a redirect with a message for a plain page). A refused save changes nothing."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.changed_values())
        except (DomainError, ValidationError) as exc:
            record.refresh_from_db()  # the service set the values on the instance before it refused them
            return render_form_error(request, template, context, form=form, exc=refusal(exc), form_name=form_name)
        if context["inline"]:
            return saved_inline()
        messages.success(request, saved_message)
        return redirect(detail_url)
    return render(request, template, context, status=422 if form.errors else 200)


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": message or _("你没有权限执行此操作")}, status=403)


@dataclass
class HistoryLine:
    field: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: datetime
    actor: str
    action: str
    lines: list[HistoryLine]
    note: str


def history_rows(*, subject: Any, viewer: User, limit: int = 30) -> list[HistoryRow]:
    """The record's change history as the page shows it: who, what (field: old → new), when.

    Phone numbers in it are masked for everyone but the record's owner, as everywhere else on the pages (PIPL).
    """
    model = type(subject)
    owner_id = getattr(subject, "owner_id", None)
    actions = dict(HistoryEntry.Action.choices)
    rows = []
    for entry in history_list_for(subject=subject)[:limit]:
        lines = []
        for name, pair in (entry.changes or {}).items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            label, field = _history_field(model, name)
            old, new = (_shown_value(viewer, owner_id, field, value) for value in pair)
            lines.append(HistoryLine(field=label, old=old, new=new))
        rows.append(HistoryRow(
            at=entry.at, actor=str(entry.actor) if entry.actor else _("系统"), action=str(actions.get(entry.action, entry.action)),
            lines=lines, note=entry.note,
        ))
    return rows


def _history_field(model: Any, name: str) -> tuple[str, Any]:
    """The label and model field of a history key: a field of the record, or `relation.field` for a row hanging off it
    (an account keeps its contacts' edits as `contacts.phone`). A key renamed since it was written shows by its name."""
    relation, _sep, field_name = name.rpartition(".")
    try:
        owner_model = model._meta.get_field(relation).related_model if relation else model
        field = owner_model._meta.get_field(field_name)
    except (FieldDoesNotExist, AttributeError):
        return name, None
    return str(getattr(field, "verbose_name", field_name)), field


def _shown_value(viewer: User, owner_id: int | None, field: Any, value: Any) -> str:
    if field is not None and field.name == "phone" and isinstance(value, str):
        value = phone_for(user=viewer, owner_id=owner_id, phone=value)
    return _value_label(field, value)


def _value_label(field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DecimalField):  # money, stored as "200000.00": shown as the pages show amounts
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return date_format(timezone.localtime(moment), "Y-m-d H:i")
    return str(value)
