from django.contrib.auth import views as auth_views
from django.urls import include, path

from mesoclinic.web import (
    audit_views,
    catalogue_views,
    client_views,
    identity_views,
    records_views,
    reports_views,
    safety_views,
    scheduling_views,
    settings_protocol_views,
    settings_views,
    supervision_views,
    views,
)

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", identity_views.StaffLoginView.as_view(), name="login"),
    path("login/code/", identity_views.second_factor, name="second_factor"),
    path("login/authenticator/", identity_views.two_factor_enrol, name="two_factor_enrol"),
    path("login/recovery-codes/", identity_views.recovery_codes, name="recovery_codes"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("", include(client_views.urlpatterns)),
    path("treatments/", views.treatment_list, name="treatment_list"),
    path("treatments/<slug:code>/", views.treatment_detail, name="treatment_detail"),
    path("", include(catalogue_views.urlpatterns)),
    path("practitioners/", views.practitioner_list, name="practitioner_list"),
    path("practitioners/<slug:code>/", views.practitioner_detail, name="practitioner_detail"),
    path("", include(safety_views.urlpatterns)),
    path("", include(scheduling_views.urlpatterns)),
    path("", include(records_views.urlpatterns)),
    path("", include(supervision_views.urlpatterns)),
    path("", include("mesoclinic.web.journey_views")),
    path("", include(audit_views.urlpatterns)),
    path("", include(settings_views.urlpatterns)),
    path("", include(settings_protocol_views.urlpatterns)),
    path("", include(reports_views.urlpatterns)),
]
