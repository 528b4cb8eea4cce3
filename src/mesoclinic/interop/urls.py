from django.urls import path

from mesoclinic.interop import views

urlpatterns = [
    path(
        "Patient/<str:client_id>/$everything",
        views.patient_everything_view,
        name="fhir_patient_everything",
    ),
    path("CodeSystem/<str:name>", views.code_system_view, name="fhir_code_system"),
]
