"""Finding a row by an opaque id: digits only, a 404 with the caller's code otherwise."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.lookups import IdLookup, get_by_code, get_by_opaque_id
from mesoclinic.people.models import Client, Site

CLIENTS = IdLookup(
    lambda: Client.objects.select_related("home_site"), code="client_not_found", noun="client"
)
SITES = IdLookup(Site.objects.all, code="site_not_found", noun="site")


def _by_function(opaque_id):
    return get_by_opaque_id(Site.objects.all(), opaque_id, code="site_not_found", noun="site")


FIND_SITE = pytest.mark.parametrize("find", [_by_function, SITES.get], ids=["function", "lookup"])


def test_an_opaque_id_finds_its_row_as_text_or_number(demo):
    # given
    site = Site.objects.order_by("pk").first()
    # then
    assert (
        get_by_opaque_id(Site.objects.all(), str(site.pk), code="site_not_found", noun="site")
        == site
    )
    assert get_by_opaque_id(Site.objects.all(), site.pk, code="site_not_found", noun="site") == site


@FIND_SITE
@pytest.mark.parametrize("opaque_id", ["999999", "-1", "1.0", " 1", "abc", ""])
def test_anything_else_is_a_404_with_the_callers_code(demo, find, opaque_id):
    # when
    with pytest.raises(NotFound) as raised:
        find(opaque_id)
    # then
    assert raised.value.code == "site_not_found"
    assert raised.value.message == f"No site with id {opaque_id!r}."


@FIND_SITE
def test_both_find_a_row_by_its_id_as_text_or_number(demo, find):
    site = Site.objects.order_by("-pk").first()
    assert find(str(site.pk)) == site == find(site.pk)


def test_a_lookup_gives_the_row_with_its_joined_rows_in_one_query(demo):
    # given
    expected = Client.objects.select_related("home_site").order_by("pk").last()
    # when: the second call runs the SQL compiled by the first
    CLIENTS.get(expected.pk)
    with CaptureQueriesContext(connection) as queries:
        found = CLIENTS.get(str(expected.pk))
        seen = (found.pk, found.given_name, found.email, found.home_site.code)
    # then
    assert seen == (expected.pk, expected.given_name, expected.email, expected.home_site.code)
    assert len(queries) == 1


def test_a_malformed_id_never_reaches_the_database(demo):
    with CaptureQueriesContext(connection) as queries, pytest.raises(NotFound):
        CLIENTS.get("1; DROP TABLE people_client")
    assert len(queries) == 0


def test_a_code_finds_its_row_within_the_given_rows(demo):
    # given
    site = Site.objects.order_by("pk").first()
    # then
    assert (
        get_by_code(Site.objects.all(), site.code, error_code="unknown_site", noun="site") == site
    )


@pytest.mark.parametrize("code", ["no-such-site", ""])
def test_an_unknown_code_is_a_400_naming_the_code(demo, code):
    # when
    with pytest.raises(InvalidInput) as raised:
        get_by_code(Site.objects.all(), code, error_code="unknown_site", noun="site")
    # then
    assert raised.value.code == "unknown_site"
    assert raised.value.message == f"No site with code {code!r}."
    assert raised.value.details == {"site": code}


def test_a_code_outside_the_given_rows_is_unknown(demo):
    # given a site code, but only sites with another code may be found
    site = Site.objects.order_by("pk").first()
    # then
    with pytest.raises(InvalidInput):
        get_by_code(
            Site.objects.exclude(pk=site.pk), site.code, error_code="unknown_site", noun="site"
        )
