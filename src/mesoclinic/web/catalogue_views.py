"""Staff pages for the catalogue's formulations: a cocktail's whole ingredient list,
readable at 50+ ingredients (grouped by class, with allergen groups, searchable)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from mesoclinic.catalogue.selectors import formulation_by_code, formulation_ingredients_by_class
from mesoclinic.core.errors import DomainError
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required


@staff_required
def formulation_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """One formulation: its ingredients by class, each with its allergen groups; ``?q=``
    narrows the list (name, synonym, class or allergen group)."""
    try:
        formulation = formulation_by_code(code)
    except DomainError as error:
        raise Http404(error.message) from None
    query = request.GET.get("q", "")[:100]
    groups = formulation_ingredients_by_class(formulation, query=query)
    return render(
        request,
        "web/formulation_detail.html",
        {
            "formulation": formulation,
            "groups": groups,
            "query": query.strip(),
            "total": formulation.ingredients.count(),
            "shown": sum(len(group.ingredients) for group in groups),
        },
    )


urlpatterns: list[URLPattern] = [
    path("formulations/<slug:code>/", formulation_detail, name="formulation_detail"),
]
