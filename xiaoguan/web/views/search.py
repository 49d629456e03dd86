"""搜索: one box over accounts, contacts, leads and deals — each through its visibility selector."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from xiaoguan.customers.selectors import account_search, contact_list_visible_to
from xiaoguan.leads.selectors import lead_search
from xiaoguan.opportunities.selectors import opportunity_search
from xiaoguan.web.forms import SearchForm
from xiaoguan.web.views.common import AuthedRequest

PER_KIND = 10


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context: dict[str, object] = {"form": form, "query": query}
    if query:
        results = {
            "accounts": list(account_search(user=user, query=query).order_by("name")[:PER_KIND]),
            "contacts": list(
                contact_list_visible_to(user=user)
                .filter(Q(name__icontains=query) | Q(phone=query) | Q(email__iexact=query))
                .select_related("account")
                .order_by("name")[:PER_KIND]
            ),
            "leads": list(lead_search(user=user, query=query)[:PER_KIND]),
            "opportunities": list(opportunity_search(user=user, query=query)[:PER_KIND]),
        }
        context.update(results=results, found=any(results.values()), per_kind=PER_KIND)
    if request.htmx.target == "search-results":
        return render(request, "web/search.html#results", context)
    return render(request, "web/search.html", context)
