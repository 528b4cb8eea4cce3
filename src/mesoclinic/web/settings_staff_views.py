"""Staff accounts in the clinic's settings (administrators): the list with search, a new
account with its roles and a temporary password shown once, changing roles and details,
a new temporary password, deactivating (with confirmation; nothing is deleted); and
each staff member's own password change. Thin
views over ``people.staff_services``, which checks and audits every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache

from mesoclinic.core.errors import DomainError
from mesoclinic.people import staff_services
from mesoclinic.people.models import Practitioner, Profession, Role
from mesoclinic.people.selectors import (
    practitioner_list,
    staff_account_get,
    staff_account_rows,
    staff_account_search,
)
from mesoclinic.web.http import HtmxHttpRequest, form_refusal, user_site
from mesoclinic.web.permissions import admin_required, staff_required

ACCOUNTS_PER_PAGE = 25
NEW_PRACTITIONER = "new"
ROLE_HELP = {
    Role.ADMIN: "Settings, staff, stock, reports and the audit log; no clinical content.",
    Role.RECEPTION: "Clients' contact details, bookings and payments.",
    Role.PRACTITIONER: "Everything reception does, plus clinical records, in their own name.",
}


class StaffAccountForm(forms.Form):
    """An account's details and roles; the service checks them again and decides."""

    username = forms.CharField(
        max_length=150,
        help_text="What they sign in with: letters, digits and @ . + - _ only.",
    )
    given_name = forms.CharField(label="First name", max_length=150)
    family_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(required=False)
    roles = forms.MultipleChoiceField(
        choices=[(role.value, role.label) for role in Role],
        widget=forms.CheckboxSelectMultiple,
    )
    practitioner = forms.ChoiceField(
        label="Practitioner record",
        required=False,
        help_text="For the practitioner role: whose calendar and records the account uses.",
    )
    profession = forms.ChoiceField(
        label="Profession of the new practitioner record",
        required=False,
        choices=[("", "—"), *Profession.choices],
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            del self.fields["username"]
        free = Q(user__isnull=True, active=True)
        if user is not None:
            free |= Q(user_id=user.pk)
        choices = Practitioner.objects.filter(free).order_by("family_name", "given_name")
        practitioner_field = self.fields["practitioner"]
        assert isinstance(practitioner_field, forms.ChoiceField)
        practitioner_field.choices = [
            ("", "None"),
            *((p.code, p.display_name) for p in choices),
            (NEW_PRACTITIONER, "A new practitioner record (choose the profession below)"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        practitioner = data.get("practitioner")
        if Role.PRACTITIONER in data.get("roles", ()) and not practitioner:
            self.add_error("practitioner", "Choose the practitioner record, or a new one.")
        if practitioner == NEW_PRACTITIONER and not data.get("profession"):
            self.add_error("profession", "Choose the new practitioner's profession.")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        code = data.get("practitioner") or ""
        is_practitioner = Role.PRACTITIONER in data["roles"]
        return {
            "given_name": data["given_name"],
            "family_name": data["family_name"],
            "email": data["email"],
            "roles": data["roles"],
            "practitioner": (
                Practitioner.objects.filter(code=code).first()
                if is_practitioner and code != NEW_PRACTITIONER
                else None
            ),
            "new_practitioner_profession": (
                data["profession"] if is_practitioner and code == NEW_PRACTITIONER else ""
            ),
        }


@admin_required
def staff_list(request: HtmxHttpRequest) -> HttpResponse:
    """Staff accounts with their roles, search and pages; practitioner records below."""
    query = request.GET.get("q", "").strip()
    page = Paginator(staff_account_search(query=query), ACCOUNTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": staff_account_rows(page.object_list),
        "query": query,
        "practitioners": practitioner_list(active_only=False).select_related("user"),
    }
    template = "web/settings/staff_list.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@admin_required
@never_cache
def staff_new(request: HtmxHttpRequest) -> HttpResponse:
    """Open an account; the temporary password is shown on the answer, once."""
    form = StaffAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user, password = staff_services.staff_account_create(
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    site=user_site(request),
                    **form.service_arguments(),
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                return _password_page(request, user, password, created=True)
    return _form_page(request, form, None, status)


def _password_page(
    request: HtmxHttpRequest, user: Any, password: str, *, created: bool
) -> HttpResponse:
    """The one time a temporary password is shown (never cached, never stored)."""
    return render(
        request,
        "web/settings/staff_password.html",
        {"account": user, "password": password, "created": created},
        status=201 if created else 200,
    )


def _account(user_id: int) -> Any:
    try:
        return staff_account_get(user_id=user_id)
    except DomainError:
        raise Http404("There is no such staff account.") from None


def _edit_initial(user: Any) -> dict[str, Any]:
    practitioner = Practitioner.objects.filter(user_id=user.pk).first()
    return {
        "given_name": user.first_name,
        "family_name": user.last_name,
        "email": user.email,
        "roles": sorted(staff_services.roles_held(user)),
        "practitioner": practitioner.code if practitioner else "",
    }


@admin_required
@never_cache
def staff_edit(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    """Change an account's name, email, roles and practitioner record, or give it a new
    temporary password."""
    user = _account(user_id)
    if request.method == "POST" and "new_password" in request.POST:
        password = staff_services.staff_password_reset(actor=request.user, user=user)
        return _password_page(request, user, password, created=False)
    form = StaffAccountForm(request.POST or None, user=user, initial=_edit_initial(user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                changed = staff_services.staff_account_update(
                    actor=request.user, user=user, **form.service_arguments()
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(
                    request,
                    f"{user.get_username()} saved."
                    if changed
                    else f"Nothing changed for {user.get_username()}.",
                )
                return redirect("web:settings_staff")
    return _form_page(request, form, user, status)


def _form_page(
    request: HtmxHttpRequest, form: StaffAccountForm, account: Any, status: int
) -> HttpResponse:
    role_help = [(role.label, text) for role, text in ROLE_HELP.items()]
    return render(
        request,
        "web/settings/staff_form.html",
        {"form": form, "account": account, "role_help": role_help},
        status=status,
    )


@admin_required
def staff_active(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    """Confirm, then deactivate an account (or activate it again)."""
    user = _account(user_id)
    status = 200
    error = ""
    if request.method == "POST":
        try:
            staff_services.staff_account_set_active(
                actor=request.user, user=user, active=not user.is_active
            )
        except DomainError as refused:
            error, status = refused.message, refused.status
        else:
            messages.success(
                request,
                f"{user.get_username()} can sign in again."
                if user.is_active
                else f"{user.get_username()} can no longer sign in.",
            )
            return redirect("web:settings_staff")
    return render(
        request,
        "web/settings/staff_active.html",
        {"account": user, "error": error},
        status=status,
    )


@staff_required
@never_cache
def password_change(request: HtmxHttpRequest) -> HttpResponse:
    """Any staff member sets their own password: the current one, then the new one twice
    (the clinic's password rules apply). The session stays signed in."""
    user = request.user
    assert user.is_authenticated  # staff_required
    form = PasswordChangeForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            staff_services.staff_password_change(
                user=user, password=form.cleaned_data["new_password1"]
            )
            update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed.")
            return redirect("web:dashboard")
    return render(request, "web/settings/password_change.html", {"form": form}, status=status)


urlpatterns = [
    path("password/", password_change, name="password_change"),
    path("settings/staff/", staff_list, name="settings_staff"),
    path("settings/staff/new/", staff_new, name="settings_staff_new"),
    path("settings/staff/<int:user_id>/", staff_edit, name="settings_staff_edit"),
    path("settings/staff/<int:user_id>/active/", staff_active, name="settings_staff_active"),
]
