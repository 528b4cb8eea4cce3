"""Reads for clinical safety: the safety records shown on screens, and time zones.

The facts the screening engine needs (``screening_request_for`` and the ``*_facts``
functions) are read in ``safety.facts``, which builds on the time-zone helpers here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Max, QuerySet
from django.utils import timezone

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.safety.models import (
    ConsentForm,
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
    ToxinAdministration,
)
from mesoclinic.safety.policy import screening_config
from mesoclinic.safety.presentation import Wording

# --- Time zone -----------------------------------------------------------------------------


def client_time_zone(*, client: Client) -> dt.tzinfo:
    """The time zone of the client's home site (else the first site, else the default)."""
    site = client.home_site if client.home_site_id else Site.objects.order_by("pk").first()
    if site is None:
        return timezone.get_default_timezone()
    return zoneinfo.ZoneInfo(site.time_zone)


def local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar date of an aware ``moment`` in ``tz``."""
    return moment.astimezone(tz).date()


def start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Midnight at the start of ``day`` in ``tz`` (aware)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


# --- Screening in words --------------------------------------------------------------------


def screening_wording(
    *, client: Client | None = None, time_zone: dt.tzinfo | None = None
) -> Wording:
    """How a screening reads on a screen: practitioners, treatments and formulations by
    name (a reason may cite any of them), times in ``time_zone`` (else the client's site
    time zone, else the default)."""
    names: dict[str, str] = {}
    for code, name in Formulation.objects.values_list("code", "name"):
        names[code] = name
    for code, name in Treatment.objects.values_list("code", "name"):
        names[code] = name
    for practitioner in Practitioner.objects.only("code", "title", "given_name", "family_name"):
        names[practitioner.code] = practitioner.display_name
    if time_zone is None:
        time_zone = (
            client_time_zone(client=client)
            if client is not None
            else timezone.get_default_timezone()
        )
    return Wording(names=names, time_zone=time_zone)


# --- Records for screens -------------------------------------------------------------------


def questionnaire_latest(*, client: Client) -> HealthQuestionnaire | None:
    """The client's most recent questionnaire (by answer time), or None."""
    return HealthQuestionnaire.objects.filter(client=client).order_by("-answered_at", "-id").first()


def questionnaire_list(*, client: Client) -> QuerySet[HealthQuestionnaire]:
    """Every questionnaire of the client, newest first."""
    return HealthQuestionnaire.objects.filter(client=client).order_by("-answered_at", "-id")


def questionnaire_is_current(*, questionnaire: HealthQuestionnaire, on: dt.date) -> bool:
    """Whether the questionnaire is inside the validity window on ``on``."""
    tz = client_time_zone(client=questionnaire.client)
    age_days = (on - local_date(questionnaire.answered_at, tz)).days
    return age_days <= screening_config().questionnaire_validity_days


def consent_form_current(*, treatment: Treatment) -> ConsentForm | None:
    """The highest version of the treatment's consent form, or None."""
    return ConsentForm.objects.filter(treatment=treatment).order_by("-version").first()


def consent_forms_current() -> list[ConsentForm]:
    """The current consent form of every active treatment that has one, by treatment name."""
    latest = dict(
        ConsentForm.objects.values("treatment")
        .annotate(v=Max("version"))
        .values_list("treatment", "v")
    )
    forms = ConsentForm.objects.select_related("treatment").filter(
        treatment__active=True, treatment__in=latest.keys()
    )
    return sorted(
        (form for form in forms if latest[form.treatment_id] == form.version),
        key=lambda form: form.treatment.name,
    )


def consent_list(*, client: Client) -> QuerySet[SignedConsent]:
    """The client's signed consents, newest first."""
    return SignedConsent.objects.filter(client=client).select_related("treatment", "captured_by")


def override_list(*, client: Client) -> QuerySet[Override]:
    """The client's overrides, newest first."""
    return Override.objects.filter(client=client).select_related("treatment", "practitioner")


def override_is_active(*, override: Override) -> bool:
    """Whether the override is still in force now."""
    return override.expires_at > clock.now()


def prescription_list(*, client: Client) -> QuerySet[Prescription]:
    """The client's prescriptions, newest consultation first."""
    return Prescription.objects.filter(client=client).select_related("prescriber", "formulation")


def toxin_history(*, client: Client) -> QuerySet[ToxinAdministration]:
    """The client's toxin administrations, most recent first."""
    return ToxinAdministration.objects.filter(client=client).select_related("formulation")


def prescribers_on(*, on: dt.date) -> list[Practitioner]:
    """Active practitioners holding a prescribing qualification current on ``on``."""
    return [
        practitioner
        for practitioner in Practitioner.objects.filter(active=True).exclude(
            prescriber_qualification=""
        )
        if practitioner.prescriber_current_on(on)
    ]


def safety_activity_on(*, on: dt.date, tz: dt.tzinfo) -> dict[str, object]:
    """Screenings run and consents signed on ``on`` (for the dashboard)."""
    start = start_of_day(on, tz)
    end = start_of_day(on + dt.timedelta(days=1), tz)
    screenings = AuditEntry.objects.filter(action="screening.run", at__gte=start, at__lt=end)
    outcomes: dict[str, int] = {}
    for data in screenings.values_list("data", flat=True):
        outcome = str((data or {}).get("outcome", "unknown"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    consents = SignedConsent.objects.filter(signed_at__gte=start, signed_at__lt=end)
    return {
        "screening_count": sum(outcomes.values()),
        "outcomes": sorted(outcomes.items()),
        "consents": list(consents.select_related("client", "treatment")[:20]),
    }
