"""Signing in to the staff pages as a demo user, for the page tests."""

from __future__ import annotations

from django.test import Client as HttpClient


def staff_login(username: str) -> HttpClient:
    """A browser signed in as the demo user ``username`` (demo password)."""
    browser = HttpClient()
    assert browser.login(username=username, password="mesoclinic-demo")
    return browser
