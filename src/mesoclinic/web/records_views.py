"""Staff pages for the records domain."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
