"""The facts the screening engine needs, read from the database.

``screening_request_for`` turns database rows into the engine's plain ``ScreeningRequest``
in two queries: the client's safety records in one compiled read (``_client_records``),
the formulation with its ingredients in another. ``treatment_facts``, ``formulation_facts``
and ``practitioner_facts`` give the engine's view of one row (the portal's pre-screen and
the qualification checks use them). The reads shown on screens are in
``safety.selectors``.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Aggregate, IntegerField, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, JSONArray
from django.utils import timezone

from mesoclinic.catalogue.models import Formulation, RegulatoryClass, Treatment
from mesoclinic.core import clock
from mesoclinic.core.compiled import CompiledQuery
from mesoclinic.people.models import Client, DeviceType, Practitioner, Site
from mesoclinic.safety import engine
from mesoclinic.safety.models import (
    ConsentForm,
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
    ToxinAdministration,
)
from mesoclinic.safety.policy import screening_config
from mesoclinic.safety.selectors import (
    client_time_zone,
    consent_form_current,
    local_date,
    start_of_day,
)

# --- Engine facts --------------------------------------------------------------------------


def treatment_facts(*, treatment: Treatment) -> engine.TreatmentFacts:
    """The engine's view of a treatment, with its current consent form version."""
    form = consent_form_current(treatment=treatment)
    if form is None:
        return _treatment_facts(treatment, None, None)
    return _treatment_facts(treatment, str(form.version), form.cooling_off_hours)


def formulation_facts(*, formulation: Formulation) -> engine.FormulationFacts:
    """The engine's view of a formulation: ingredients with their allergen groups."""
    ingredients = formulation.ingredients.prefetch_related("allergen_groups").order_by("code")
    # Every prescription-only medicine needs the prescriber chain (domain.md §4), toxin
    # or not, whatever the treatment's own flag says.
    prescription_only = (
        formulation.contains_toxin or formulation.regulatory_class == RegulatoryClass.POM
    )
    return engine.FormulationFacts(
        code=formulation.code,
        name=formulation.name,
        contains_toxin=formulation.contains_toxin,
        prescription_only=prescription_only,
        ingredients=tuple(
            engine.IngredientFacts(
                code=ingredient.code,
                name=ingredient.name,
                synonyms=tuple(ingredient.synonyms or ()),
                allergen_groups=tuple(
                    engine.AllergenGroupFacts(
                        code=group.code, name=group.name, synonyms=tuple(group.synonyms or ())
                    )
                    for group in ingredient.allergen_groups.all()
                ),
            )
            for ingredient in ingredients
        ),
    )


def practitioner_facts(*, practitioner: Practitioner) -> engine.PractitionerFacts:
    """The engine's view of a practitioner's profession and credential expiries."""
    return engine.PractitionerFacts(
        code=practitioner.code,
        profession=practitioner.profession,
        registration_expires_on=(
            practitioner.registration_expires_on if practitioner.registration_body else None
        ),
        prescriber_expires_on=(
            practitioner.prescriber_expires_on if practitioner.is_prescriber else None
        ),
        insurance_expires_on=practitioner.insurance_expires_on,
    )


def screening_request_for(
    *,
    client: Client,
    treatment: Treatment,
    formulation: Formulation | None = None,
    practitioner: Practitioner | None = None,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
    toxin_bookings: Iterable[dt.date] = (),
) -> engine.ScreeningRequest:
    """Build the engine's request from the database in two queries: the client's safety
    records with the treatment's consent form (``_client_records``), and the formulation
    with its ingredients.

    ``toxin_bookings`` are the days of the client's other active toxin bookings: the
    scheduling app reads them (``scheduling.selectors.toxin_booking_days``) and the caller
    passes them, as safety does not read the calendar.

    ``formulation`` defaults to the treatment's default formulation; ``on`` to the date of
    ``at`` in the client's site time zone, else today there. Overrides count when still
    active at the treatment moment (``at``, else the later of now and the start of ``on``).
    """
    if on is None:
        tz = client_time_zone(client=client)
        on = local_date(at, tz) if at is not None else clock.today(tz)
    moment = at  # ``None``: the moment depends on the time zone, known after the read
    records = _client_records(client=client, treatment=treatment, moment=moment, on=on)
    formulation_id = formulation.pk if formulation else treatment.default_formulation_id
    form_version, cooling_off_hours = records.consent_form
    return engine.ScreeningRequest(
        on=on,
        at=at,
        client=engine.ClientFacts(
            birth_date=client.birth_date,
            toxin_administrations=records.toxin_days,
            toxin_bookings=tuple(sorted(set(toxin_bookings))),
            prescriptions=records.prescriptions,
            consents=records.consents,
        ),
        treatment=_treatment_facts(treatment, form_version, cooling_off_hours),
        formulation=formulation_facts_by_id(formulation_id) if formulation_id else None,
        practitioner=practitioner_facts(practitioner=practitioner) if practitioner else None,
        questionnaire=records.questionnaire,
        overridden_codes=records.overridden,
        config=screening_config(),
    )


# --- Engine facts in one read --------------------------------------------------------------


class _JsonRows(Aggregate):
    """The rows of a group as one JSON array text (SQLite ``JSON_GROUP_ARRAY``,
    PostgreSQL ``JSONB_AGG``)."""

    function = "JSON_GROUP_ARRAY"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = self.as_sql(compiler, connection, function="JSONB_AGG", **extra)
        return f"({sql})::text", params


def _rows_of(queryset: QuerySet[Any], *fields: str) -> Subquery:
    """A scalar subquery: ``fields`` of every row of ``queryset`` as a JSON array of
    arrays (NULL when there is none)."""
    return Subquery(
        queryset.order_by()
        .annotate(_one=Value(1, output_field=IntegerField()))
        .values("_one")
        .annotate(rows=_JsonRows(JSONArray(*fields)))
        .values("rows")
    )


def _json(value: Any) -> Any:
    """A JSON column inside a JSON array: nested on PostgreSQL, a JSON text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def _moment(value: str) -> dt.datetime:
    """A stored moment read back from JSON: ISO text with an offset (PostgreSQL) or
    naive UTC (SQLite)."""
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _ClientRecords:
    questionnaire: engine.QuestionnaireFacts | None
    toxin_days: tuple[dt.date, ...]
    prescriptions: tuple[engine.PrescriptionFacts, ...]
    consents: tuple[engine.ConsentFacts, ...]
    overridden: frozenset[str]
    consent_form: tuple[str | None, int | None]


def _client_records_queryset(
    *, client_id: int, treatment_id: int, now: dt.datetime
) -> QuerySet[Any]:
    """The one read of ``_client_records`` (a row of JSON array texts)."""
    questionnaires = HealthQuestionnaire.objects.filter(client=client_id).order_by(
        "-answered_at", "-id"
    )
    return (
        Client.objects.filter(pk=client_id)
        .annotate(
            site_zone=Coalesce(
                "home_site__time_zone",
                Subquery(Site.objects.order_by("pk").values("time_zone")[:1]),
            ),
            read_questionnaire=Subquery(
                questionnaires.values(
                    row=JSONArray(
                        "answered_at",
                        "pregnant",
                        "breastfeeding",
                        "allergies",
                        "conditions",
                        "medications",
                        "isotretinoin_last_taken_on",
                    )
                )[:1],
                output_field=TextField(),
            ),
            read_toxins=_rows_of(
                ToxinAdministration.objects.filter(client=client_id), "administered_on"
            ),
            read_prescriptions=_rows_of(
                Prescription.objects.filter(client=client_id),
                "prescriber__code",
                "formulation__code",
                "consultation_at",
                "id",
            ),
            read_consents=_rows_of(
                SignedConsent.objects.filter(client=client_id, treatment=treatment_id),
                "form_version",
                "signed_at",
                "id",
            ),
            read_overrides=_rows_of(
                Override.objects.filter(
                    client=client_id, treatment=treatment_id, created_at__lte=now
                ),
                "code",
                "expires_at",
            ),
            read_consent_form=Subquery(
                ConsentForm.objects.filter(treatment=treatment_id)
                .order_by("-version")
                .values(row=JSONArray("version", "cooling_off_hours"))[:1],
                output_field=TextField(),
            ),
        )
        .values_list(
            "site_zone",
            "read_questionnaire",
            "read_toxins",
            "read_prescriptions",
            "read_consents",
            "read_overrides",
            "read_consent_form",
        )
    )


_CLIENT_RECORDS = CompiledQuery(_client_records_queryset)
"""Compiled once per thread: building it took the ORM ten times what the database takes."""


def _client_records(
    *, client: Client, treatment: Treatment, moment: dt.datetime | None, on: dt.date
) -> _ClientRecords:
    """Everything screening reads about the client, and the treatment's current consent
    form, in one query: the latest questionnaire, toxin administrations, prescriptions,
    this treatment's consents and its overrides still active at ``moment``, each as a JSON
    array (the rows ``questionnaire_latest`` and ``consent_form_current`` read one at a
    time). ``moment`` ``None``: the later of now and the start of
    ``on`` in the client's time zone."""
    rows = _CLIENT_RECORDS.rows(client_id=client.pk, treatment_id=treatment.pk, now=clock.now())
    if not rows:
        raise Client.DoesNotExist(f"no client {client.pk}")
    row = rows[0]
    zone, *documents = row
    questionnaire, toxins, prescriptions, consents, overrides, form = (
        _json(value) if value is not None else None for value in documents
    )
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_default_timezone()
    if moment is None:
        moment = max(clock.now(), start_of_day(on, tz))
    # The models' own orders (newest first, then id), which ties in the engine follow.
    prescription_rows = sorted(
        ((code, product, _moment(at), pk) for code, product, at, pk in prescriptions or ()),
        key=lambda item: (item[2], item[3]),
        reverse=True,
    )
    consent_rows = sorted(
        ((version, _moment(at), pk) for version, at, pk in consents or ()),
        key=lambda item: (item[1], item[2]),
        reverse=True,
    )
    version, cooling_off = form or (None, None)
    return _ClientRecords(
        questionnaire=_questionnaire_from_row(questionnaire, tz) if questionnaire else None,
        toxin_days=tuple(sorted({dt.date.fromisoformat(day) for (day,) in toxins or ()})),
        prescriptions=tuple(
            engine.PrescriptionFacts(
                prescriber_code=code, formulation_code=product, consulted_on=local_date(at, tz)
            )
            for code, product, at, _ in prescription_rows
        ),
        consents=tuple(
            engine.ConsentFacts(
                treatment_code=treatment.code, form_version=str(version), signed_at=signed_at
            )
            for version, signed_at, _ in consent_rows
        ),
        overridden=frozenset(
            code for code, expires_at in overrides or () if _moment(expires_at) > moment
        ),
        consent_form=(str(version) if version is not None else None, cooling_off),
    )


def _questionnaire_from_row(row: list[Any], tz: dt.tzinfo) -> engine.QuestionnaireFacts:
    """The engine's view of the questionnaire row ``_client_records`` reads (unknown
    condition codes are dropped)."""
    answered_at, pregnant, breastfeeding, allergies, conditions, medications, isotretinoin = row
    return engine.QuestionnaireFacts(
        answered_on=local_date(_moment(answered_at), tz),
        pregnant=bool(pregnant),
        breastfeeding=bool(breastfeeding),
        allergies=tuple(str(a) for a in _json(allergies) or ()),
        conditions=frozenset(_json(conditions) or ()) & engine.CONDITION_CODES,
        medications=tuple(str(m) for m in _json(medications) or ()),
        isotretinoin_last_taken_on=dt.date.fromisoformat(isotretinoin) if isotretinoin else None,
    )


def _treatment_facts(
    treatment: Treatment, form_version: str | None, cooling_off_hours: int | None
) -> engine.TreatmentFacts:
    return engine.TreatmentFacts(
        code=treatment.code,
        needs_needle=treatment.needs_needle,
        requires_prescriber=treatment.requires_prescriber,
        contains_toxin=treatment.contains_toxin,
        electroporation=treatment.device_type == DeviceType.ELECTROPORATION_WAND,
        areas=tuple(str(area) for area in treatment.areas or ()),
        swelling_expected=treatment.swelling_expected,
        cooling_off_hours=cooling_off_hours,
        consent_form_version=form_version,
        consultation=treatment.is_consultation,
    )


def _formulation_facts_queryset(formulation_id: int) -> QuerySet[Any]:
    return (
        Formulation.objects.filter(pk=formulation_id)
        .order_by("ingredients__code", "ingredients__allergen_groups__name")
        .values_list(
            "code",
            "name",
            "contains_toxin",
            "regulatory_class",
            "ingredients__code",
            "ingredients__name",
            "ingredients__synonyms",
            "ingredients__allergen_groups__code",
            "ingredients__allergen_groups__name",
            "ingredients__allergen_groups__synonyms",
        )
    )


_FORMULATION_FACTS = CompiledQuery(_formulation_facts_queryset)
"""Compiled once per thread: every booking of a cocktail screens its formulation."""


def formulation_facts_by_id(formulation_id: int) -> engine.FormulationFacts:
    """``formulation_facts`` in one query: the formulation joined with its ingredients
    and their allergen groups (one row per ingredient and group)."""
    rows = _FORMULATION_FACTS.rows(formulation_id=formulation_id)
    code, name, contains_toxin, regulatory_class = rows[0][:4]
    ingredients: dict[str, tuple[str, tuple[str, ...], list[engine.AllergenGroupFacts]]] = {}
    for *_, ingredient, ingredient_name, synonyms, group, group_name, group_synonyms in rows:
        if ingredient is None:
            continue
        entry = ingredients.setdefault(ingredient, (ingredient_name, tuple(synonyms or ()), []))
        if group is not None:
            entry[2].append(
                engine.AllergenGroupFacts(
                    code=group, name=group_name, synonyms=tuple(group_synonyms or ())
                )
            )
    return engine.FormulationFacts(
        code=code,
        name=name,
        contains_toxin=contains_toxin,
        # Every prescription-only medicine needs the prescriber chain (domain.md §4).
        prescription_only=contains_toxin or regulatory_class == RegulatoryClass.POM,
        ingredients=tuple(
            engine.IngredientFacts(
                code=ingredient,
                name=ingredient_name,
                synonyms=synonyms,
                allergen_groups=tuple(groups),
            )
            for ingredient, (ingredient_name, synonyms, groups) in ingredients.items()
        ),
    )
