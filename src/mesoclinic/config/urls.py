"""Top-level URL map: staff UI, public booking, API, FHIR, admin, health and metrics."""

from django.contrib import admin
from django.urls import include, path

from mesoclinic.api.urls import api
from mesoclinic.core.views import healthz, metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("fhir/r4/", include("mesoclinic.interop.urls")),
    path("", include("mesoclinic.portal.urls")),
    path("", include("mesoclinic.web.urls")),
]
