"""Waiting-list offer links become portal links (purpose ``offer``, subject the offer's
hold), replacing ``WaitlistEntry.offer_token_hash`` (dropped by scheduling 0010).

An offer open while this runs keeps its emailed link: its link is created with the token
hash the entry kept (the URL already sent works until the hold runs out), and a message
still waiting to go with the old ``waitlist:<entry>`` reference is pointed at it. A waiting
message whose offer is no longer open is cancelled, as sending it would have been.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

NO_LONGER_VALID = "The link is no longer valid."


def _queued_offer_messages(apps):
    Message = apps.get_model("messaging", "Message")
    return Message.objects.filter(status="pending", link_ref__startswith="waitlist:")


def offer_links_from_entries(apps, schema_editor):
    WaitlistEntry = apps.get_model("scheduling", "WaitlistEntry")
    PortalLink = apps.get_model("portal", "PortalLink")
    now = timezone.now()
    refs = {}
    open_offers = WaitlistEntry.objects.filter(
        status="offered", hold__isnull=False, hold__expires_at__gt=now
    ).select_related("hold")
    for entry in open_offers:
        link = PortalLink.objects.create(
            purpose="offer",
            hold=entry.hold,
            token_hash=entry.offer_token_hash,
            created_at=now,
            expires_at=entry.hold.expires_at,
        )
        refs[f"waitlist:{entry.pk}"] = f"portal:{link.pk}"
    for message in _queued_offer_messages(apps):
        if message.link_ref in refs:
            message.link_ref = refs[message.link_ref]
            message.save(update_fields=["link_ref"])
        else:
            message.status, message.last_error = "cancelled", NO_LONGER_VALID
            message.save(update_fields=["status", "last_error"])


def entries_from_offer_links(apps, schema_editor):
    WaitlistEntry = apps.get_model("scheduling", "WaitlistEntry")
    PortalLink = apps.get_model("portal", "PortalLink")
    Message = apps.get_model("messaging", "Message")
    for link in PortalLink.objects.filter(purpose="offer", used_at__isnull=True):
        entry = WaitlistEntry.objects.filter(hold_id=link.hold_id, status="offered").first()
        if entry is None:
            continue
        entry.offer_token_hash = link.token_hash
        entry.save(update_fields=["offer_token_hash"])
        Message.objects.filter(status="pending", link_ref=f"portal:{link.pk}").update(
            link_ref=f"waitlist:{entry.pk}"
        )
    PortalLink.objects.filter(purpose="offer").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_alter_message_kind"),
        ("portal", "0003_pendingbooking_hold"),
        ("scheduling", "0009_waitlistentry"),
    ]

    operations = [
        migrations.AddField(
            model_name="portallink",
            name="hold",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="scheduling.slothold",
            ),
        ),
        migrations.AlterField(
            model_name="portallink",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("verify", "Email verification"),
                    ("reset", "Password reset"),
                    ("offer", "Waiting-list offer"),
                ],
                max_length=8,
            ),
        ),
        migrations.RemoveConstraint(model_name="portallink", name="portal_link_has_subject"),
        migrations.AddConstraint(
            model_name="portallink",
            constraint=models.CheckConstraint(
                condition=models.Q(("purpose", "verify"), ("signup__isnull", False))
                | models.Q(("account__isnull", False), ("purpose", "reset"))
                | models.Q(("hold__isnull", False), ("purpose", "offer")),
                name="portal_link_has_subject",
            ),
        ),
        migrations.RunPython(offer_links_from_entries, entries_from_offer_links),
    ]
