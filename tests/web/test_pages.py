import pytest
from django.test import Client as HttpClient

from mesoclinic.people.models import Client


@pytest.fixture
def browser(demo):
    browser = HttpClient()
    assert browser.login(username="reception", password="mesoclinic-demo")
    return browser


def test_staff_pages_need_login(demo):
    response = HttpClient().get("/clients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_renders_a_labelled_form(db):
    response = HttpClient().get("/login/")
    assert response.status_code == 200
    assert b'<label for="id_username">' in response.content


def test_dashboard_shows_site_and_flags_expired_registration(browser):
    response = browser.get("/")
    assert response.status_code == 200
    assert b"Mesoclinic London" in response.content
    assert b"Rhys Hughes" in response.content
    assert b"expired" in response.content


def test_client_list_searches(browser):
    response = browser.get("/clients/", {"q": "hart"})
    assert b"Hart, Amelia" in response.content
    assert b"Brennan" not in response.content


def test_client_search_htmx_returns_only_the_results_fragment(browser):
    response = browser.get("/clients/", {"q": "osei"}, headers={"HX-Request": "true"})
    assert b"Osei, Hannah" in response.content
    assert b"<html" not in response.content


def test_client_search_says_when_nothing_matches(browser):
    response = browser.get("/clients/", {"q": "zzzz"})
    assert "No client matches “zzzz”".encode() in response.content


def test_client_page_shows_details(browser):
    client = Client.objects.get(email="mia.fernandes@example.com")
    response = browser.get(f"/clients/{client.pk}/")
    assert response.status_code == 200
    assert b"Mia Fernandes" in response.content
    assert b"Under 18" in response.content


def test_treatment_pages(browser):
    assert b"Chin and jowl contouring" in browser.get("/treatments/").content
    detail = browser.get("/treatments/mesotox/")
    assert b"prescriber consultation first" in detail.content
    assert browser.get("/treatments/nope/").status_code == 404


def test_practitioner_pages_flag_expired_credentials(browser):
    response = browser.get("/practitioners/")
    assert b'title="Expired"' in response.content
    assert browser.get("/practitioners/nurse-hughes/").status_code == 200
