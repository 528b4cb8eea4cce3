"""Staff pages for the safety domain."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
