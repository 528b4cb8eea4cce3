"""A printable PDF of a signed consent: the exact text signed, the signature and opt-ins."""

from __future__ import annotations

import io
import re
import zoneinfo
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, PolyLine
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from mesoclinic.safety.models import SignatureKind, SignedConsent

_COMMAND = re.compile(r"([ML])\s*(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)")
SIGNATURE_BOX = (160 * mm, 40 * mm)


def consent_pdf(*, consent: SignedConsent, time_zone: str = "Europe/London") -> bytes:
    """Render ``consent`` as an A4 PDF and return its bytes."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{consent.title} — {consent.client.full_name}",
        author="mesoclinic",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    )
    signed_at = consent.signed_at.astimezone(zoneinfo.ZoneInfo(time_zone))
    facts = [
        ["Client", consent.client.full_name],
        ["Date of birth", consent.client.birth_date.strftime("%d %B %Y")],
        ["Treatment", consent.treatment.name],
        ["Form version", str(consent.form_version)],
        ["Signed at", signed_at.strftime("%d %B %Y %H:%M %Z")],
    ]
    story: list[object] = [
        Paragraph(escape(consent.title), styles["Title"]),
        Table(facts, colWidths=[40 * mm, 120 * mm], hAlign="LEFT"),
        Spacer(1, 6 * mm),
    ]
    story += [
        Paragraph(escape(line) if line.strip() else "&nbsp;", styles["BodyText"])
        for line in consent.text.splitlines()
    ]
    story += [
        Spacer(1, 6 * mm),
        Paragraph("<b>Separate choices</b>", styles["Heading3"]),
        Paragraph(
            f"Photos used in the clinical record: {_yes_no(consent.photo_use)}", styles["BodyText"]
        ),
        Paragraph(f"News and offers (marketing): {_yes_no(consent.marketing)}", styles["BodyText"]),
        Spacer(1, 6 * mm),
        Paragraph("<b>Signature</b>", styles["Heading3"]),
    ]
    if consent.signature_kind == SignatureKind.DRAWN:
        story.append(signature_drawing(consent.signature_data))
    story += [
        Paragraph(
            f"Signed by: {escape(consent.signed_name)} ({consent.get_signature_kind_display().lower()})",
            styles["BodyText"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(f"Text fingerprint (SHA-256): {consent.text_sha256}", styles["Code"]),
    ]
    document.build(story)
    return buffer.getvalue()


def signature_drawing(path_data: str) -> Drawing:
    """Draw SVG path data (``M``/``L`` commands, canvas coordinates) scaled into a box."""
    width, height = SIGNATURE_BOX
    drawing = Drawing(width, height)
    strokes: list[list[tuple[float, float]]] = []
    for command, x, y in _COMMAND.findall(path_data):
        if command == "M" or not strokes:
            strokes.append([])
        strokes[-1].append((float(x), float(y)))
    points = [point for stroke in strokes for point in stroke]
    if not points:
        return drawing
    max_x = max(x for x, _ in points) or 1.0
    max_y = max(y for _, y in points) or 1.0
    scale = min(width / max_x, height / max_y)
    for stroke in strokes:
        flat: list[float] = []
        for x, y in stroke:
            flat += [x * scale, height - y * scale]  # canvas y grows downwards
        if len(flat) >= 4:
            drawing.add(PolyLine(flat, strokeColor=colors.black, strokeWidth=1.2))
    return drawing


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
