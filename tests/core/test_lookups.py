"""Finding a row by an opaque id: digits only, a 404 with the caller's code otherwise."""

from __future__ import annotations

import pytest

from mesoclinic.core.errors import NotFound
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import Site


def test_an_opaque_id_finds_its_row_as_text_or_number(demo):
    # given
    site = Site.objects.order_by("pk").first()
    # then
    assert (
        get_by_opaque_id(Site.objects.all(), str(site.pk), code="site_not_found", noun="site")
        == site
    )
    assert get_by_opaque_id(Site.objects.all(), site.pk, code="site_not_found", noun="site") == site


@pytest.mark.parametrize("opaque_id", ["999999", "-1", "1.0", " 1", "abc", ""])
def test_anything_else_is_a_404_with_the_callers_code(demo, opaque_id):
    # when
    with pytest.raises(NotFound) as raised:
        get_by_opaque_id(Site.objects.all(), opaque_id, code="site_not_found", noun="site")
    # then
    assert raised.value.code == "site_not_found"
    assert raised.value.message == f"No site with id {opaque_id!r}."
