"""A client's own data, for subject access: a JSON document and a readable PDF.

Everything the clinic holds about the client: their details, account, appointments,
questionnaires, consents, payments and messages here, and the clinical record (treatment
sessions, assessments and photos, adverse events, prescriptions …) from
:mod:`.export_records`.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from mesoclinic.billing.models import AccountEntry, CoursePackage, GiftVoucher, Payment
from mesoclinic.core import clock
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.portal.export_records import clinical_data
from mesoclinic.portal.models import ClientAccount
from mesoclinic.scheduling.models import Appointment


def client_data(*, client: Client, account: ClientAccount | None = None) -> dict[str, Any]:
    """Everything held about ``client``, JSON-ready (the subject-access copy)."""
    from mesoclinic.safety.models import HealthQuestionnaire, SignedConsent

    appointments = (
        Appointment.objects.filter(client=client)
        .select_related("treatment", "practitioner", "site")
        .order_by("start")
    )
    return {
        "exported_at": clock.now().isoformat(),
        "client": {
            "id": str(client.pk),
            "given_name": client.given_name,
            "family_name": client.family_name,
            "birth_date": client.birth_date.isoformat(),
            "sex": client.sex,
            "email": client.email,
            "phone": client.phone,
            "address": client.address,
            "marketing_opt_in": client.marketing_opt_in,
            "created_at": client.created_at.isoformat(),
        },
        "account": {
            "email": account.email,
            "email_verified_at": account.email_verified_at.isoformat()
            if account.email_verified_at
            else None,
        }
        if account
        else None,
        "appointments": [
            {
                "id": str(a.pk),
                "treatment": a.treatment.name,
                "status": a.status,
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "practitioner": {"code": a.practitioner.code, "name": a.practitioner.display_name},
                "site": a.site.name,
                "price": str(a.price),
            }
            for a in appointments
        ],
        "questionnaires": [
            {
                "id": str(q.pk),
                "answered_at": q.answered_at.isoformat(),
                "pregnant": q.pregnant,
                "breastfeeding": q.breastfeeding,
                "allergies": q.allergies,
                "conditions": q.conditions,
                "medications": q.medications,
                "isotretinoin_last_taken_on": q.isotretinoin_last_taken_on.isoformat()
                if q.isotretinoin_last_taken_on
                else None,
                "notes": q.notes,
            }
            for q in HealthQuestionnaire.objects.filter(client=client).order_by("answered_at")
        ],
        "consents": [
            {
                "id": str(c.pk),
                "treatment": c.treatment.name,
                "title": c.title,
                "form_version": c.form_version,
                "signed_name": c.signed_name,
                "signed_at": c.signed_at.isoformat(),
                "photo_use": c.photo_use,
                "marketing": c.marketing,
                "text": c.text,
            }
            for c in SignedConsent.objects.filter(client=client)
            .select_related("treatment")
            .order_by("signed_at")
        ],
        "payments": [
            {
                "appointment": str(p.appointment_id),
                "kind": p.kind,
                "method": p.method,
                "amount": str(p.amount),
                "recorded_at": p.recorded_at.isoformat(),
            }
            for p in Payment.objects.filter(appointment__client=client).order_by("recorded_at")
        ],
        **_money_on_account(client),
        "messages": [
            {
                "kind": m.kind,
                "channel": m.channel,
                "to": m.recipient,
                "subject": m.subject,
                "status": m.status,
                "send_after": m.send_after.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in Message.objects.filter(client=client).order_by("send_after")
        ],
        **clinical_data(client=client),
    }


def _money_on_account(client: Client) -> dict[str, Any]:
    """The client's account ledger (fees, credit), prepaid packages with their session
    ledger, and the gift vouchers they hold."""
    return {
        "account_entries": [
            {
                "kind": e.kind,
                "amount": str(e.amount),
                "method": e.method,
                "appointment": str(e.appointment_id) if e.appointment_id else None,
                "note": e.note,
                "at": e.at.isoformat(),
            }
            for e in AccountEntry.objects.filter(client=client).order_by("at", "pk")
        ],
        "packages": [
            {
                "treatment": package.treatment.name,
                "sessions": package.sessions,
                "price": str(package.price),
                "sold_at": package.sold_at.isoformat(),
                "ledger": [
                    {"kind": entry.kind, "sessions": entry.sessions, "at": entry.at.isoformat()}
                    for entry in package.entries.order_by("at", "pk")
                ],
            }
            for package in CoursePackage.objects.filter(client=client)
            .select_related("treatment")
            .order_by("sold_at")
        ],
        "vouchers": [
            {
                "code": voucher.code,
                "value": str(voucher.value),
                "expires_on": voucher.expires_on.isoformat(),
                "redeemed": [str(r.amount) for r in voucher.redemptions.order_by("at", "pk")],
                "voided": str(voucher.void.amount) if hasattr(voucher, "void") else None,
            }
            for voucher in GiftVoucher.objects.filter(client=client)
            .select_related("void")
            .order_by("issued_at")
        ],
    }


def client_data_pdf(*, client: Client, account: ClientAccount | None = None) -> bytes:
    """The same data as :func:`client_data`, laid out as a readable A4 document."""
    story = client_data_story(client=client, data=client_data(client=client, account=account))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="Your data", author="mesoclinic").build(story)
    return buffer.getvalue()


def client_data_story(*, client: Client, data: dict[str, Any]) -> list[Any]:
    """The PDF's flowables: a heading per section, a paragraph per record (every field)."""
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(escape(f"Your data held by the clinic — {client.full_name}"), styles["Title"]),
        Paragraph(escape(f"Exported {data['exported_at']}"), styles["Normal"]),
        Spacer(1, 12),
    ]
    sections = [
        ("Your details", [data["client"]]),
        ("Appointments", data["appointments"]),
        ("Health questionnaires", data["questionnaires"]),
        ("Signed consents", data["consents"]),
        ("Treatment sessions", data["treatment_records"]),
        ("Assessments and photos", data["assessments"]),
        ("Adverse events", data["adverse_events"]),
        ("Prescriptions", data["prescriptions"]),
        ("Screening overrides", data["screening_overrides"]),
        ("Toxin history", data["toxin_history"]),
        ("Courses", data["courses"]),
        ("Follow-up calls", data["follow_ups"]),
        ("Maintenance decisions", data["maintenance_decisions"]),
        ("Recall contacts", data["recall_contacts"]),
        ("Quotes", data["quotes"]),
        ("Payments", data["payments"]),
        ("Account: fees and credit", data["account_entries"]),
        ("Prepaid packages", data["packages"]),
        ("Gift vouchers", data["vouchers"]),
        ("Messages we sent you", data["messages"]),
    ]
    for title, rows in sections:
        story.append(Paragraph(escape(title), styles["Heading2"]))
        if not rows:
            story.append(Paragraph("None.", styles["Normal"]))
        for row in rows:
            story.append(Paragraph("<br/>".join(_lines(row)), styles["Normal"]))
            story.append(Spacer(1, 6))
    return story


def _lines(row: dict[str, Any], depth: int = 0) -> list[str]:
    """A record as labelled lines; nested records (products, areas, photos) indented."""
    indent = "&nbsp;" * 4 * depth
    lines: list[str] = []
    for key, value in row.items():
        label = f"{indent}<b>{escape(key.replace('_', ' ').capitalize())}</b>"
        if isinstance(value, dict):
            lines.append(f"{label}:")
            lines += _lines(value, depth + 1)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value, start=1):
                lines.append(f"{label} {index}:")
                lines += _lines(item, depth + 1)
        else:
            lines.append(f"{label}: {escape(_text(value))}")
    return lines


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
