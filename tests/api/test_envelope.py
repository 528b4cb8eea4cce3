"""Every answer under /api/v1/ is the JSON envelope: unknown paths, wrong methods and
anonymous writes included (api-contract.md, Errors)."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)["error"]


def test_an_unknown_api_path_is_a_json_404(demo):
    response = HttpClient().get("/api/v1/no-such-thing")
    assert (response.status_code, _error(response)["code"]) == (404, "not_found")


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(demo, api):
    response = api.http.delete("/api/v1/treatments", headers=api.headers)
    assert (response.status_code, _error(response)["code"]) == (405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_an_anonymous_write_is_a_401_not_a_csrf_403(demo):
    browser = HttpClient(enforce_csrf_checks=True)
    response = browser.post("/api/v1/clients", "{}", content_type="application/json")
    assert (response.status_code, _error(response)["code"]) == (401, "unauthenticated")


def test_a_staff_session_write_still_needs_its_csrf_token(demo):
    from django.contrib.auth import get_user_model

    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(get_user_model().objects.get(username="reception"))
    response = browser.post("/api/v1/clients", "{}", content_type="application/json")
    assert response.status_code == 403
