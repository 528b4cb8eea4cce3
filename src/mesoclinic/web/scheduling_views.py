"""Staff pages for the scheduling domain."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
