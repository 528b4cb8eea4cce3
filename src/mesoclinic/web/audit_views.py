"""The administrators' audit page: the audit trail, filtered by date range, user, client
and action, newest first, a page at a time. Opening or filtering it is itself audited
(``audit.view``, through :func:`mesoclinic.core.selectors.audit_log_view`).

Only the admin role may use it. Days are the clinic's local days (``TIME_ZONE``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from mesoclinic.core.selectors import AuditFilter, audit_actions, audit_log_view
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required

ENTRIES_PER_PAGE = 50


class AuditFilterForm(forms.Form):
    """The audit page's filters; all optional."""

    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    user = forms.CharField(label="User name", required=False, max_length=150)
    client = forms.IntegerField(label="Client number", required=False, min_value=1)
    action = forms.ChoiceField(label="Action", required=False)

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action"), *((name, name) for name in actions)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must not be before the start date.")
        return cleaned

    def audit_filter(self) -> AuditFilter:
        """The filters asked for (call after ``is_valid()``)."""
        data = self.cleaned_data
        return AuditFilter(
            since=data.get("since"),
            until=data.get("until"),
            username=(data.get("user") or "").strip(),
            client_id=data.get("client"),
            action=data.get("action") or "",
        )


@admin_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """The audit trail, filtered and paginated; htmx requests get just the results."""
    form = AuditFilterForm(request.GET or None, actions=audit_actions())
    page = None
    if not form.is_bound or form.is_valid():
        filters = form.audit_filter() if form.is_bound else AuditFilter()
        entries = audit_log_view(
            actor=request.user, filters=filters, tz=timezone.get_current_timezone()
        )
        page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "web/audit/audit_log.html#results" if request.htmx else "web/audit/audit_log.html"
    status = 200 if page is not None else 422
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, template, context, status=status)


urlpatterns: list[URLPattern] = [path("audit/", audit_log, name="audit_log")]
