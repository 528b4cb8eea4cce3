"""Public booking (/book/) and client accounts (/account/)."""

from django.urls import URLPattern, path
from django.views.generic import RedirectView

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("book/", RedirectView.as_view(url="/"), name="book"),
    path("account/", RedirectView.as_view(url="/"), name="account"),
]
