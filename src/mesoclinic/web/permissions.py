"""Access checks for staff views: every view states which class of route it is, and
:mod:`mesoclinic.people.roles` decides who may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from mesoclinic.people.roles import Access, has_access

View = Callable[..., HttpResponse]


def access_required(access: Access) -> Callable[[View], View]:
    """Send anonymous users to login; refuse (403 page) users the roles module refuses."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_access(request.user, access):
                raise PermissionDenied(_REFUSAL_TEXT[access])
            return view(request, *args, **kwargs)

        wrapped.access = access  # type: ignore[attr-defined]  # read by the route matrix test
        return wrapped

    return decorator


_REFUSAL_TEXT = {
    Access.STAFF: "This page is for the clinic's staff.",
    Access.CLINICAL: "Clinical information is for practitioners only.",
    Access.ADMIN: "This page is for the clinic's administrators.",
}

staff_required = access_required(Access.STAFF)
clinical_required = access_required(Access.CLINICAL)
admin_required = access_required(Access.ADMIN)
