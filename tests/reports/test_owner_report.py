"""The owner's report (/reports/) on the small clinic of conftest.py, every figure
computed by hand; its pure arithmetic in test_figures.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from tests.reports.conftest import MONDAY, at

from mesoclinic.catalogue.models import Formulation
from mesoclinic.catalogue.services import batch_receive, stock_discard, stock_use
from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Device, OpeningHours
from mesoclinic.reports.owner import owner_report
from mesoclinic.scheduling.models import Appointment, Course

SECOND_MONDAY = MONDAY + dt.timedelta(days=7)
AFTER = dt.datetime(2031, 4, 1, 12, tzinfo=dt.UTC)  # every session of the fixture is past


@pytest.fixture
def clinic(small_clinic, monkeypatch):
    """The small clinic, opening Mondays 09:00-17:00 with a two-place numbing lounge and a
    DermaFrac used by the attended appointment; the cancelled one was cancelled 30 hours
    ahead; the attended and no-show appointments are sessions 1 and 2 of one course; a
    visit of the demo client four weeks before; a new client's first visit is the booked appointment; 2 ml used and 1 ml discarded of
    one lot."""
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: AFTER)
    site = small_clinic
    site.numbing_lounge_capacity = 2
    site.save(update_fields=["numbing_lounge_capacity"])
    OpeningHours.objects.create(site=site, weekday=0, opens=dt.time(9), closes=dt.time(17))
    device = Device.objects.create(
        site=site, code="small-dermafrac", name="DermaFrac", device_type="dermafrac"
    )
    made = {
        name: Appointment.objects.get(site=site, start=at(day, time))
        for name, day, time in [
            ("attended", MONDAY, "09:00"),
            ("cancelled", MONDAY, "13:00"),
            ("no_show", SECOND_MONDAY, "09:00"),
            ("booked", SECOND_MONDAY, "14:00"),
        ]
    }
    made["attended"].device = device
    made["attended"].save(update_fields=["device"])
    cancelled = made["cancelled"]
    cancelled.cancelled_at = cancelled.start - dt.timedelta(hours=30)
    cancelled.save(update_fields=["cancelled_at"])
    course = Course.objects.create(
        client=made["attended"].client,
        treatment=made["attended"].treatment,
        protocol=made["attended"].treatment.default_protocol,
        price=Decimal("600"),
        created_at=at(MONDAY, "08:00"),
    )
    for number, name in [(1, "attended"), (2, "no_show")]:
        made[name].course, made[name].session_number = course, number
        made[name].save(update_fields=["course", "session_number"])
    earlier = Appointment.objects.get(pk=made["attended"].pk)
    earlier.pk, earlier.course, earlier.session_number = None, None, None
    four_weeks = dt.timedelta(days=28)  # the demo client's visit before the range
    for moment in ("start", "treatment_start", "end", "busy_until"):
        setattr(earlier, moment, getattr(earlier, moment) - four_weeks)
    earlier.save()
    newcomer = Client.objects.create(
        given_name="Nia", family_name="New", birth_date=dt.date(1990, 1, 1), created_at=AFTER
    )
    made["booked"].client = newcomer
    made["booked"].save(update_fields=["client"])
    formulation = Formulation.objects.get(code="revitalise-cocktail")
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: at(MONDAY, "09:30"))
    batch = batch_receive(
        actor=None,
        formulation=formulation,
        lot="SMALL-1",
        expires_on=dt.date(2032, 1, 1),
        quantity=Decimal("10"),
    )
    stock_use(actor=None, batch=batch, quantity=Decimal("2"), reference="test")
    stock_discard(actor=None, batch=batch, quantity=Decimal("1"), reason="dropped")
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: AFTER)
    return site


def _report(site):
    return owner_report(actor=None, date_from=MONDAY, date_to=dt.date(2031, 3, 16), site=site)


def test_money_by_treatment_practitioner_and_site(clinic):
    report = _report(clinic)

    # booked: three £300 appointments not cancelled; taken: payment 300 + deposits 60 + 60;
    # refunded: the cancelled appointment's deposit
    for dimension, label in [
        ("treatment", "Face revitalise"),
        ("practitioner", "Megan Lewis"),
        ("site", "Small"),
    ]:
        [line] = report.money[dimension]
        assert (line.label, line.booked, line.taken, line.refunded, line.forfeited) == (
            label,
            Decimal("900"),
            Decimal("420"),
            Decimal("60"),
            Decimal("0"),
        )
        assert line.net == Decimal("360")


def test_use_of_practitioner_room_device_and_lounge(clinic):
    lines = {(line.kind, line.label): line for line in _report(clinic).use}

    # practitioner: 2 Mondays x 480 less the 120-minute absence; attended + booked, 30 each
    assert (
        lines["practitioner", "Megan Lewis"].booked_minutes,
        lines["practitioner", "Megan Lewis"].available_minutes,
    ) == (60, 840)
    # the room and the device: open 2 x 480 minutes; the device only in the attended one
    assert (lines["room", "Room"].booked_minutes, lines["room", "Room"].available_minutes) == (
        60,
        960,
    )
    assert (
        lines["device", "DermaFrac"].booked_minutes,
        lines["device", "DermaFrac"].available_minutes,
    ) == (30, 960)
    # the lounge: 2 places x 960 minutes; 30 minutes of numbing before each treatment
    lounge = lines["lounge", "Numbing lounge, Small"]
    assert (lounge.booked_minutes, lounge.available_minutes) == (60, 1920)
    assert lounge.utilisation == round(60 / 1920, 3)


def test_clients_new_and_returning_and_booked_again(clinic):
    report = _report(clinic)

    # the newcomer's first appointment is in the range; the demo client has earlier ones
    first_ever = Appointment.objects.filter(client__family_name="New").order_by("start").first()
    assert first_ever.start >= at(MONDAY, "00:00")
    assert (report.new_clients, report.returning_clients) == (1, 1)
    # the demo client was treated on the first Monday and has the no-show after it
    assert (report.attended_clients, report.rebooked_clients) == (1, 1)
    assert report.rebooking_rate == 1.0


def test_course_completion_by_session_number(clinic):
    report = _report(clinic)

    assert [(step.number, step.due, step.given) for step in report.sessions] == [
        (1, 1, 1),
        (2, 1, 0),
    ]
    assert (report.sessions_due, report.sessions_given, report.course_completion) == (2, 1, 0.5)


def test_cancellations_by_notice_and_no_shows(clinic):
    report = _report(clinic)

    assert dict(report.cancellations) == {
        "after the start": 0,
        "under 24 hours": 0,
        "24 to 48 hours": 1,
        "2 to 7 days": 0,
        "over 7 days": 0,
    }
    assert report.no_shows == 1


def test_stock_used_and_written_off_by_lot(clinic):
    [line] = _report(clinic).stock

    assert (line.lot, line.used, line.written_off) == ("SMALL-1", Decimal("2"), Decimal("1"))


def test_the_report_agrees_with_the_summary_and_is_audited(clinic, api_as):
    before = AuditEntry.objects.filter(action="report.owner").count()
    report = _report(clinic)
    summary = (
        api_as("admin")
        .get(
            "/reports/summary", **{"from": MONDAY.isoformat(), "to": "2031-03-16", "site": "small"}
        )
        .json()
    )

    assert dict(report.appointments) == {
        key: value for key, value in summary["appointments"].items() if value
    }
    assert f"{report.money['site'][0].net:.2f}" == summary["revenue"]["amount"]
    assert AuditEntry.objects.filter(action="report.owner").count() == before + 1


def _admin() -> HttpClient:
    browser = HttpClient()
    assert browser.login(username="admin", password="mesoclinic-demo")
    return browser


def test_the_page_shows_every_section_and_the_csv_holds_them(clinic):
    query = {"date_from": "2031-03-03", "date_to": "2031-03-16", "site": "small"}

    page = _admin().get("/reports/", query).content.decode()
    csv = _admin().get("/reports/", {**query, "format": "csv"}).content.decode()

    for heading in [
        "Money",
        "Use of people, rooms and devices",
        "Clients",
        "Course completion",
        "Cancellations and no-shows",
        "Stock used and written off",
    ]:
        assert f">{heading}</h2>" in page
    assert '<svg class="bar"' in page
    assert "money by treatment,Face revitalise,900.00,420.00,60.00,0.00,360.00" in csv
    assert 'use of lounge,"Numbing lounge, Small",60,1920,0.031' in csv
    assert "course sessions,2,1,0,0.0" in csv
    assert "cancellations by notice,24 to 48 hours,1" in csv
    assert "stock,SMALL-1," in csv


def test_an_empty_range_says_so(demo):
    page = _admin().get("/reports/", {"date_from": "2040-01-01", "date_to": "2040-01-07"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "No course sessions were due in these dates." in text
    assert "No stock was used or written off in these dates." in text


def test_the_default_range_is_this_month_in_dates_a_browser_can_show(demo):
    first = clock.today().replace(day=1)

    page = _admin().get("/reports/").content.decode()

    # a date input shows only ISO dates: anything else leaves the field blank
    assert f'name="date_from" value="{first.isoformat()}"' in page


def test_a_link_naming_only_the_site_shows_this_month_there(demo):
    first = clock.today().replace(day=1)

    page = _admin().get("/reports/", {"site": "manchester"})

    assert page.status_code == 200
    text = page.content.decode()
    assert f'name="date_from" value="{first.isoformat()}"' in text
    assert "at Mesoclinic Manchester" in text


def test_one_date_alone_is_an_open_range_and_refused(demo):
    page = _admin().get("/reports/", {"date_from": "2026-12-01", "site": "manchester"})

    assert page.status_code == 400
    assert "This field is required." in page.content.decode()


def test_packages_sold_and_fees_paid_are_money_taken_outside_appointments(clinic, monkeypatch):
    from mesoclinic.billing.account_services import package_sell
    from mesoclinic.billing.models import AccountEntry, AccountEntryKind
    from mesoclinic.catalogue.models import Treatment

    client = Client.objects.first()
    face = Treatment.objects.get(code="face-revitalise")
    scalp = Treatment.objects.get(code="scalp-hair")
    sold = {at(MONDAY, "10:00"): (face, "1200"), at(SECOND_MONDAY, "16:00"): (face, "1100")}
    sold[at(MONDAY, "11:00")] = (scalp, "900")
    sold[at(dt.date(2031, 3, 17), "09:00")] = (face, "5000")  # the day after the range
    for moment, (treatment, price) in sold.items():
        monkeypatch.setattr("mesoclinic.core.clock.now", lambda moment=moment: moment)
        package_sell(
            actor=None, client=client, treatment=treatment, sessions=6, price=price, method="card"
        )
    for moment, amount in [(at(SECOND_MONDAY, "12:00"), "45"), (at(MONDAY, "08:00"), "5")]:
        AccountEntry.objects.create(
            client=client, kind=AccountEntryKind.FEE_PAID, amount=amount, method="cash", at=moment
        )
    AccountEntry.objects.create(  # a fee owed is not money taken
        client=client, kind=AccountEntryKind.NO_SHOW_FEE, amount="150", at=at(MONDAY, "09:00")
    )

    everywhere = owner_report(actor=None, date_from=MONDAY, date_to=dt.date(2031, 3, 16))
    one_site = _report(clinic)

    account = everywhere.account_money
    assert account.packages == (
        ("Face revitalise", 2, Decimal("2300.00")),
        ("Scalp and hair", 1, Decimal("900.00")),
    )
    assert account.fees_paid == Decimal("50.00")
    assert account.total == Decimal("3250.00")
    assert not one_site.account_money.counted
    csv = (
        _admin()
        .get("/reports/", {"date_from": "2031-03-03", "date_to": "2031-03-16", "format": "csv"})
        .content.decode()
    )
    assert "taken outside appointments,packages: Face revitalise,2,2300.00" in csv
    assert "taken outside appointments,no-show fees paid,,50.00" in csv
    page = _admin().get("/reports/", {"date_from": "2031-03-03", "date_to": "2031-03-16"})
    assert "Packages: Scalp and hair" in page.content.decode()
    small = _admin().get(
        "/reports/", {"date_from": "2031-03-03", "date_to": "2031-03-16", "site": "small"}
    )
    assert "see them in the report for every site" in small.content.decode()


def test_vouchers_sold_and_refunds_count_by_day_and_goodwill_or_voucher_payments_never(
    clinic, monkeypatch
):
    """Hand-computed: a £800 four-session package sold (one session used, three refunded:
    £600 back), vouchers sold for £100 (card) and £80 (cash; voided unspent, £80 back), one
    given away (£25, not money); goodwill credit and the voucher later pay part of an
    appointment, and part of a card payment is refunded to credit: none of that moves
    money, so the appointments' money is as before (taken 420, refunded 60)."""
    from mesoclinic.billing import account_services as account
    from mesoclinic.catalogue.models import Treatment

    def on(day, time):
        monkeypatch.setattr("mesoclinic.core.clock.now", lambda: at(day, time))

    attended = Appointment.objects.get(site=clinic, start=at(MONDAY, "09:00"))
    booked = Appointment.objects.get(site=clinic, start=at(SECOND_MONDAY, "14:00"))
    face = Treatment.objects.get(code="face-revitalise")
    expiry = dt.date(2031, 12, 31)
    on(MONDAY, "08:00")
    account.credit_goodwill(actor=None, client=booked.client, amount="50", note="Sorry")
    on(MONDAY, "10:00")
    package = account.package_sell(
        actor=None, client=attended.client, treatment=face, sessions=4, price="800", method="card"
    )
    account.package_session_use(actor=None, appointment=attended)
    on(MONDAY, "12:00")
    account.voucher_issue(actor=None, value="100", expires_on=expiry, code="GV-R1", method="card")
    account.voucher_issue(actor=None, value="25", expires_on=expiry, code="GV-FREE")
    on(MONDAY, "13:00")
    cash = account.voucher_issue(
        actor=None, value="80", expires_on=expiry, code="GV-R2", method="cash"
    )
    on(SECOND_MONDAY, "10:00")
    account.credit_spend(actor=None, appointment=booked, amount="50")
    account.voucher_redeem(actor=None, appointment=booked, code="GV-R1", amount="40")
    account.credit_from_refund(actor=None, appointment=attended, amount="100")
    on(SECOND_MONDAY, "15:00")
    account.voucher_void(actor=None, voucher=cash, refund_method="cash")
    on(SECOND_MONDAY, "16:00")
    refund = account.package_refund(actor=None, package=package)
    on(dt.date(2031, 3, 17), "09:00")  # the day after the range
    account.voucher_issue(actor=None, value="500", expires_on=expiry, method="card")
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: AFTER)

    report = owner_report(actor=None, date_from=MONDAY, date_to=dt.date(2031, 3, 16))

    assert (refund.sessions, refund.amount) == (-3, Decimal("600.00"))
    account_money = report.account_money
    assert account_money.packages == (("Face revitalise", 1, Decimal("800.00")),)
    assert account_money.vouchers_sold == (2, Decimal("180.00"))
    assert account_money.fees_paid == Decimal("0")
    assert account_money.packages_refunded == Decimal("600.00")
    assert account_money.vouchers_refunded == Decimal("80.00")
    assert account_money.total == Decimal("300.00")  # 800 + 180 - 600 - 80
    [line] = report.money["treatment"]
    assert (line.taken, line.refunded, line.net) == (Decimal("420"), Decimal("60"), Decimal("360"))
    csv = (
        _admin()
        .get("/reports/", {"date_from": "2031-03-03", "date_to": "2031-03-16", "format": "csv"})
        .content.decode()
    )
    for row in (
        "taken outside appointments,gift vouchers sold,2,180.00",
        "taken outside appointments,packages refunded,,-600.00",
        "taken outside appointments,vouchers refunded,,-80.00",
        "taken outside appointments,total,,300.00",
    ):
        assert row in csv, csv
    page = _admin().get("/reports/", {"date_from": "2031-03-03", "date_to": "2031-03-16"})
    text = page.content.decode()
    assert "Gift vouchers sold" in text
    assert "−£600.00" in text
    assert "£300.00" in text
