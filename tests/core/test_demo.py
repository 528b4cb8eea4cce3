from django.contrib.auth import get_user_model

from mesoclinic.catalogue.models import Batch, Formulation, Protocol, Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Client, Device, Practitioner, Room, Site, WorkingHours
from mesoclinic.records.models import AdverseEvent, Assessment, TreatmentRecord
from mesoclinic.scheduling.models import Appointment

MODELS = [
    Site,
    Room,
    Device,
    Practitioner,
    Client,
    Treatment,
    Protocol,
    Formulation,
    Batch,
    Appointment,
    TreatmentRecord,
    Assessment,
    AdverseEvent,
]


def _counts():
    return {model.__name__: model.objects.count() for model in [*MODELS, get_user_model()]}


def test_demo_clinic_matches_domain_section_9(demo):
    # then
    assert list(Site.objects.order_by("code").values_list("code", flat=True)) == [
        "london",
        "manchester",
    ]
    london = Site.objects.get(code="london")
    assert set(Room.objects.filter(site=london).values_list("code", flat=True)) == {
        "room-1",
        "room-2",
        "room-3",
    }
    assert london.numbing_lounge_capacity == 3
    assert set(Device.objects.filter(site=london).values_list("code", flat=True)) == {
        "vital-injector",
        "dermafrac",
        "collagen-pin",
        "electroporation-wand",
        "mesotherapy-gun",
        "microneedling-roller",
    }
    assert set(Practitioner.objects.values_list("code", flat=True)) == {
        "dr-patel",
        "nurse-okafor",
        "nurse-lewis",
        "nurse-hughes",
        "therapist-ng",
        "nurse-shaw",
    }
    assert set(Treatment.objects.values_list("code", flat=True)) == {
        "face-revitalise",
        "under-eye",
        "pigmentation",
        "acne-scars",
        "scalp-hair",
        "chin-jowl-fat",
        "body-cellulite",
        "mesotox",
        "no-needle-infusion",
        "consultation",
        "face-revitalise-injector",
        "acne-scars-collagen-pin",
        "acne-scars-roller",
        "scalp-hair-gun",
    }
    assert set(Protocol.objects.values_list("code", flat=True)) == {
        "meso-standard",
        "meso-twice-weekly",
        "fat-dissolving",
        "cellulite-weekly",
        "toxin-quarterly",
        "single",
    }
    assert Client.objects.count() == 20


def test_demo_has_expired_and_current_registrations(demo):
    from mesoclinic.core import clock

    today = clock.today()
    hughes = Practitioner.objects.get(code="nurse-hughes")
    assert hughes.registration_expires_on < today
    assert Practitioner.objects.get(code="dr-patel").prescriber_current_on(today)
    assert not Practitioner.objects.get(code="nurse-lewis").is_prescriber
    assert Practitioner.objects.get(code="therapist-ng").registration_body == ""


def test_every_formulation_has_two_batches_one_near_expiry(demo):
    from mesoclinic.core import clock

    today = clock.today()
    for formulation in Formulation.objects.all():
        expiries = sorted(formulation.batches.values_list("expires_on", flat=True))
        assert len(expiries) == 2
        assert (expiries[0] - today).days <= 30 < (expiries[1] - today).days


def test_demo_load_is_idempotent(demo):
    # given the whole demo, clinical history included
    demo_load()
    before = _counts()
    audit_before = AuditEntry.objects.count()
    # when
    demo_load()
    # then
    assert _counts() == before
    assert AuditEntry.objects.count() == audit_before


def test_demo_users_have_roles_and_argon2_passwords(demo):
    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {
        "admin",
        "reception",
        "dr-patel",
        "nurse-okafor",
        "nurse-lewis",
        "nurse-hughes",
        "therapist-ng",
        "nurse-shaw",
        "reception-manchester",
    }
    assert users["admin"].password.startswith("argon2")
    assert users["reception"].staff_profile.is_reception
    assert users["dr-patel"].practitioner.code == "dr-patel"
    assert users["reception-manchester"].staff_profile.default_site.code == "manchester"
    assert users["nurse-shaw"].staff_profile.default_site.code == "manchester"


def test_the_second_site_has_its_own_resources_and_shares_dr_patel(demo):
    manchester = Site.objects.get(code="manchester")
    assert set(Room.objects.filter(site=manchester).values_list("code", flat=True)) == {
        "mcr-room-1",
        "mcr-room-2",
    }
    assert set(manchester.opening_hours.values_list("weekday", flat=True)) == {1, 2, 3, 4, 5}
    assert set(Device.objects.filter(site=manchester).values_list("device_type", flat=True)) == {
        "dermafrac",
        "mesotherapy-gun",
    }
    hours = WorkingHours.objects.filter(practitioner__code="dr-patel")
    assert set(hours.filter(site__code="london").values_list("weekday", flat=True)) == {
        0,
        1,
        2,
        3,
        4,
    }
    assert list(hours.filter(site=manchester).values_list("weekday", flat=True)) == [5]
    shaw = Practitioner.objects.get(code="nurse-shaw")
    assert set(shaw.sites.values_list("code", flat=True)) == {"manchester"}
    assert not WorkingHours.objects.filter(practitioner=shaw).exclude(site=manchester).exists()


def test_the_demo_never_has_a_client_in_two_places_at_once(demo):
    # given: the demo with its history and courses in progress
    demo_load()
    rows = list(
        Appointment.objects.filter(status__in=["booked", "arrived", "fulfilled"]).values_list(
            "pk", "client_id", "start", "end"
        )
    )
    # then: no two active appointments of one client overlap (issue 12)
    overlapping = [
        (first[0], second[0])
        for index, first in enumerate(rows)
        for second in rows[index + 1 :]
        if first[1] == second[1] and first[2] < second[3] and second[2] < first[3]
    ]
    assert len(rows) > 20
    assert overlapping == []
