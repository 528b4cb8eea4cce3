"""The organisation, its sites and resources, its staff and practitioners, its clients."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from mesoclinic.core import clock

code_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lower-case letters, digits and single hyphens."
)


def validate_time_zone(value: str) -> None:
    """Only IANA time zone names (``Europe/London``) are accepted."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name.")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class NotesReaders(models.TextChoices):
    """Who, besides its author, reads a treatment record's free-text notes and addenda."""

    ALL_PRACTITIONERS = "all_practitioners", "all practitioners"
    SAME_PROFESSION = "same_profession", "practitioners of the author's profession"
    AUTHOR_ONLY = "author_only", "the author only"


class Organisation(models.Model):
    code = models.SlugField(max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    notes_readers = models.CharField(
        max_length=20,
        choices=NotesReaders.choices,
        default=NotesReaders.ALL_PRACTITIONERS,
        help_text="Who reads treatment notes and addenda (managers never do).",
    )

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A clinic location with its own time zone, opening hours and numbing lounge."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    code = models.SlugField(max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    holiday_country = models.CharField(
        max_length=2, default="GB", help_text="ISO country whose public holidays close the site."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, default="ENG", help_text="e.g. ENG for England & Wales."
    )
    numbing_lounge_capacity = models.PositiveSmallIntegerField(
        default=0, help_text="Clients who can sit with numbing cream at once."
    )
    premises_licence_number = models.CharField(max_length=60, blank=True)
    premises_licence_expires_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class OpeningHours(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["site", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="opening_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosedDay(models.Model):
    """A day the site is closed beyond its public holidays (training day, refurbishment)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["site", "date"], name="closed_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} closed {self.date}"


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    code = models.SlugField(max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site", "code"]

    def __str__(self) -> str:
        return self.name


class DeviceType(models.TextChoices):
    MICRONEEDLING_ROLLER = "microneedling-roller", "Microneedling roller"
    COLLAGEN_PIN = "collagen-pin", "Collagen PIN (automated microneedling)"
    DERMAFRAC = "dermafrac", "DermaFrac (microneedling under vacuum with infusion)"
    VITAL_INJECTOR = "vital-injector", "Vital Injector (multi-needle injector)"
    MESOTHERAPY_GUN = "mesotherapy-gun", "Mesotherapy gun"
    ELECTROPORATION_WAND = "electroporation-wand", "Electroporation wand"


class Device(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="devices")
    code = models.SlugField(max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    device_type = models.CharField(max_length=40, choices=DeviceType.choices)
    serial_number = models.CharField(max_length=80, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site", "code"]

    def __str__(self) -> str:
        return self.name


class Profession(models.TextChoices):
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    DENTIST = "dentist", "Dentist"
    PHARMACIST = "pharmacist", "Pharmacist"
    THERAPIST = "therapist", "Aesthetic therapist"


class RegistrationBody(models.TextChoices):
    GMC = "GMC", "General Medical Council"
    NMC = "NMC", "Nursing and Midwifery Council"
    GDC = "GDC", "General Dental Council"
    GPHC = "GPhC", "General Pharmaceutical Council"


class Practitioner(models.Model):
    """A person who treats clients, with the credentials that decide what they may do."""

    code = models.SlugField(max_length=50, unique=True, validators=[code_validator])
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    title = models.CharField(max_length=20, blank=True)
    profession = models.CharField(max_length=20, choices=Profession.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioner",
    )
    sites = models.ManyToManyField(Site, related_name="practitioners", blank=True)
    registration_body = models.CharField(
        max_length=10, choices=RegistrationBody.choices, blank=True
    )
    registration_number = models.CharField(max_length=40, blank=True)
    registration_expires_on = models.DateField(null=True, blank=True)
    prescriber_qualification = models.CharField(
        max_length=120, blank=True, help_text="e.g. Independent prescriber (V300)."
    )
    prescriber_expires_on = models.DateField(null=True, blank=True)
    insurance_provider = models.CharField(max_length=120, blank=True)
    insurance_expires_on = models.DateField(null=True, blank=True)
    licence_number = models.CharField(
        max_length=60, blank=True, help_text="Practitioner licence (HCA 2022 s.180), once in force."
    )
    licence_expires_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    sign_off_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervisees",
        help_text="A current prescriber who signs off this practitioner's signed records.",
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_body="") | ~Q(registration_number=""),
                name="practitioner_registration_has_number",
            ),
            models.CheckConstraint(
                condition=Q(prescriber_qualification="") | Q(prescriber_expires_on__isnull=False),
                name="practitioner_prescriber_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.title, self.given_name, self.family_name) if part)

    def clean(self) -> None:
        """The sign-off supervisor is someone else, active, with a current prescribing
        qualification (a prescriber or medical director answers for the records)."""
        supervisor = self.sign_off_by
        if supervisor is None:
            return
        if supervisor.pk == self.pk:
            raise ValidationError({"sign_off_by": "A practitioner cannot sign off themself."})
        if not supervisor.active or not supervisor.prescriber_current_on(clock.today()):
            raise ValidationError(
                {"sign_off_by": f"{supervisor.display_name} is not a current prescriber."}
            )

    @property
    def is_prescriber(self) -> bool:
        return bool(self.prescriber_qualification)

    def prescriber_current_on(self, day: dt.date) -> bool:
        """Whether the prescribing qualification is valid on ``day`` (valid on its expiry day)."""
        return self.is_prescriber and (
            self.prescriber_expires_on is None or self.prescriber_expires_on >= day
        )


class WorkingHours(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="working_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner.code} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Absence(models.Model):
    """Time a practitioner cannot treat: leave, sickness, training."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["practitioner", "starts_at"], name="absence_start")]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="absence_order"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner.code} away {self.starts_at:%Y-%m-%d}"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class Client(models.Model):
    """A person who is (or may be) treated. Health data lives in the safety/records apps."""

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    home_site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="clients"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    marketing_opt_in = models.BooleanField(default=False)
    # Archived clients leave searches and booking lists; their records stay as they were.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["family_name", "given_name"], name="client_name"),
            models.Index(fields=["email"], name="client_email"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday falls on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    PRACTITIONER = "practitioner", "Practitioner"
    RECEPTION = "reception", "Reception"


class StaffProfile(models.Model):
    """A staff user's front-desk and manager roles and default site.

    The practitioner role is having an active ``Practitioner`` linked through
    ``Practitioner.user``; ``mesoclinic.people.roles`` reads all three.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    is_admin = models.BooleanField(
        "administrator",
        default=False,
        help_text="Configuration, staff, stock, reports and the audit log; no clinical content.",
    )
    is_reception = models.BooleanField(
        "reception", default=False, help_text="Clients' contact details, bookings and payments."
    )
    default_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return str(self.user)


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest of the token is stored.

    A token works until it expires or is revoked, and only while its user is active.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="The token stops working at this moment.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["prefix"], name="api_token_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class PolicySetting(models.Model):
    """One clinic policy changed by its owner in the app (``people.policy``): the value
    overrides the default of ``settings.MESOCLINIC``; a policy without a row keeps it."""

    key = models.CharField(max_length=60, primary_key=True)
    value = models.JSONField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}"
