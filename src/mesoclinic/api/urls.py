"""The REST API at /api/v1/ (django-ninja), one router per domain (scheduling's split by
part: ``api/scheduling/``)."""

from mesoclinic.api import (
    billing,
    clients,
    records,
    reference,
    reports,
    safety,
    supervision,
    waitlist,
)
from mesoclinic.api.auth import BearerToken, StaffSession
from mesoclinic.api.errors import install_error_handlers
from mesoclinic.api.openapi import ContractAPI
from mesoclinic.api.scheduling import absences, appointments, availability, courses, ical

api = ContractAPI(
    title="mesoclinic API",
    version="1",
    description="Clinic software for mesotherapy: reference data, clients, screening, "
    "scheduling, records. Errors use the envelope {error: {code, message, details}}.",
    auth=[BearerToken(), StaffSession()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("", reference.router)
api.add_router("/clients", clients.router)
api.add_router("", safety.router)
api.add_router("", availability.router)
api.add_router("", appointments.router)
api.add_router("", courses.router)
api.add_router("", absences.router)
api.add_router("", ical.router)
api.add_router("", records.router)
api.add_router("", supervision.router)
api.add_router("", reports.router)
api.add_router("", waitlist.router)
api.add_router("", billing.router)
