"""Reads for the public booking pages and the client's own account pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from mesoclinic.billing.policy import CourseQuote, course_packages, course_quote
from mesoclinic.catalogue.models import Protocol, Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import NotFound
from mesoclinic.people.models import Client, Device, Site
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

DEFAULT_SIDE_EFFECTS_NEEDLE = (
    "tiny purple dots where the needle went in, which fade in a few days",
    "some redness and tenderness for a day",
    "now and then a small bruise",
)
DEFAULT_SIDE_EFFECTS_NO_NEEDLE = ("a pink glow for an hour or two",)


def booking_sites() -> list[Site]:
    """The sites clients can book online (those with an active room), first set up first."""
    return list(Site.objects.filter(rooms__active=True).distinct().order_by("pk"))


def booking_site(code: str | None = None) -> Site:
    """The site whose treatments the booking pages list (the first site by default)."""
    sites = Site.objects.order_by("pk")
    site = sites.filter(code=code).first() if code else sites.first()
    if site is None:
        raise NotFound("unknown_site", "There is no such clinic.")
    return site


def bookable_treatments(*, site: Site) -> QuerySet[Treatment]:
    """Active treatments offered online at ``site``: those needing a device only where the
    site has one of its kind."""
    device_types = Device.objects.filter(site=site, active=True).values("device_type")
    return (
        Treatment.objects.filter(active=True, bookable_online=True)
        .filter(Q(device_type="") | Q(device_type__in=device_types))
        .select_related("default_protocol", "default_formulation")
        .prefetch_related("default_protocol__phases")
        .order_by("name")
    )


def consultation_treatment() -> Treatment | None:
    """The consultation clients can book online, if the clinic offers one."""
    return (
        Treatment.objects.filter(active=True, bookable_online=True, is_consultation=True)
        .order_by("price", "code")
        .first()
    )


def _every(gap_days: int) -> str:
    words = {
        3: "twice a week",
        7: "weekly",
        14: "every two weeks",
        28: "every four weeks",
        91: "every three months",
    }
    if gap_days in words:
        return words[gap_days]
    if gap_days % 7 == 0:
        return f"every {gap_days // 7} weeks"
    return f"every {gap_days} days"


def course_sessions(protocol: Protocol) -> int:
    """Sessions in a protocol's fixed phases (at least one)."""
    return max(1, sum(phase.count or 0 for phase in protocol.phases.all()))


def course_in_words(protocol: Protocol) -> str:
    """A protocol as a client would say it: "4 sessions weekly, then 2 every two weeks…"."""
    fixed, top_up = [], ""
    for phase in protocol.phases.all():
        if phase.count == 1:
            fixed.append("1 session")
        elif phase.count:
            fixed.append(f"{phase.count} sessions {_every(phase.gap_days)}")
        else:
            top_up = f", then a top-up {_every(phase.gap_days)} to keep the results"
    if not fixed:
        return "A single session."
    return ", then ".join(fixed).capitalize() + top_up + "."


@dataclass(frozen=True)
class TreatmentCard:
    """What the booking page says about a treatment, in plain words."""

    treatment: Treatment
    minutes_total: int
    sessions: int
    course_text: str
    course_quote: CourseQuote
    side_effects: tuple[str, ...]

    @property
    def price(self) -> Decimal:
        return self.treatment.price

    @property
    def is_course(self) -> bool:
        """Whether the treatment is given as a course (more than one session)."""
        return self.sessions > 1


def treatment_card(treatment: Treatment) -> TreatmentCard:
    """The plain-language summary of ``treatment`` for clients."""
    protocol = treatment.default_protocol
    sessions = course_sessions(protocol)
    if treatment.max_sessions:
        sessions = min(sessions, treatment.max_sessions)
    effects = tuple(str(e) for e in treatment.expected_side_effects or ()) or (
        DEFAULT_SIDE_EFFECTS_NEEDLE if treatment.needs_needle else DEFAULT_SIDE_EFFECTS_NO_NEEDLE
    )
    if treatment.is_consultation:
        effects = ()
    return TreatmentCard(
        treatment=treatment,
        minutes_total=treatment.total_minutes,
        sessions=sessions,
        course_text=course_in_words(protocol),
        course_quote=course_quote(
            sessions=sessions, session_price=treatment.price, packages=course_packages()
        ),
        side_effects=effects,
    )


@dataclass(frozen=True)
class NeedleComparison:
    """A no-needle treatment beside an injected one for the same area, for clients choosing."""

    no_needle: TreatmentCard
    injected: TreatmentCard


def needle_comparison(cards: list[TreatmentCard]) -> NeedleComparison | None:
    """A no-needle treatment beside the injected, non-toxin course for a shared area whose
    serum is most like it (most ingredients in common), or None without such a pair."""
    for plain in (card for card in cards if not card.treatment.needs_needle):
        areas = set(plain.treatment.areas or ())
        candidates = [
            card
            for card in cards
            if card.treatment.needs_needle
            and not card.treatment.contains_toxin
            and card.is_course
            and areas & set(card.treatment.areas or ())
        ]
        if candidates:
            serum = _ingredients(plain.treatment)
            best = max(candidates, key=lambda card: len(serum & _ingredients(card.treatment)))
            return NeedleComparison(no_needle=plain, injected=best)
    return None


def _ingredients(treatment: Treatment) -> set[int]:
    formulation = treatment.default_formulation
    return set(formulation.ingredients.values_list("pk", flat=True)) if formulation else set()


def client_upcoming(*, client: Client) -> QuerySet[Appointment]:
    """The client's booked appointments from now on, soonest first."""
    return (
        Appointment.objects.filter(
            client=client, status=AppointmentStatus.BOOKED, end__gte=clock.now()
        )
        .select_related("treatment", "site", "practitioner", "course")
        .order_by("start")
    )


def client_past(*, client: Client) -> QuerySet[Appointment]:
    """The client's earlier and cancelled appointments, newest first."""
    return (
        Appointment.objects.filter(client=client)
        .exclude(status=AppointmentStatus.BOOKED, end__gte=clock.now())
        .select_related("treatment", "site")
        .order_by("-start")
    )


def client_appointment(*, client: Client, appointment_id: int) -> Appointment:
    """One of the client's own appointments, or 404 (never someone else's)."""
    appointment = (
        Appointment.objects.filter(client=client, pk=appointment_id)
        .select_related("treatment", "site", "practitioner")
        .first()
    )
    if appointment is None:
        raise NotFound("unknown_appointment", "We couldn't find that appointment.")
    return appointment
