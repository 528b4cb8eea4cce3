"""A client's own data, for subject access: a JSON document and a readable PDF."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from mesoclinic.billing.models import Payment
from mesoclinic.core import clock
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount
from mesoclinic.scheduling.models import Appointment


def client_data(*, client: Client, account: ClientAccount | None = None) -> dict[str, Any]:
    """Everything held about ``client`` that the portal can show, JSON-ready."""
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
                "practitioner": a.practitioner.display_name,
                "site": a.site.name,
                "price": str(a.price),
            }
            for a in appointments
        ],
        "questionnaires": [
            {
                "answered_at": q.answered_at.isoformat(),
                "pregnant": q.pregnant,
                "breastfeeding": q.breastfeeding,
                "allergies": q.allergies,
                "conditions": q.conditions,
                "medications": q.medications,
            }
            for q in HealthQuestionnaire.objects.filter(client=client).order_by("answered_at")
        ],
        "consents": [
            {
                "title": c.title,
                "form_version": c.form_version,
                "signed_name": c.signed_name,
                "signed_at": c.signed_at.isoformat(),
                "photo_use": c.photo_use,
                "marketing": c.marketing,
                "text": c.text,
            }
            for c in SignedConsent.objects.filter(client=client).order_by("signed_at")
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
    }


def client_data_pdf(*, client: Client, account: ClientAccount | None = None) -> bytes:
    """The same data as :func:`client_data`, laid out as a readable A4 document."""
    data = client_data(client=client, account=account)
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
        ("Payments", data["payments"]),
        ("Messages we sent you", data["messages"]),
    ]
    for title, rows in sections:
        story.append(Paragraph(escape(title), styles["Heading2"]))
        if not rows:
            story.append(Paragraph("None.", styles["Normal"]))
        for row in rows:
            lines = [
                f"<b>{escape(key.replace('_', ' ').capitalize())}</b>: {escape(_text(value))}"
                for key, value in row.items()
            ]
            story.append(Paragraph("<br/>".join(lines), styles["Normal"]))
            story.append(Spacer(1, 6))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="Your data", author="mesoclinic").build(story)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
