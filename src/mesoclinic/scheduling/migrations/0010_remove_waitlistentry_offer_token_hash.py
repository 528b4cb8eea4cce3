"""The waiting-list offer's token moved to the portal's links (portal 0004 copies any open
offer's hash there first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_offer_links"),
        ("scheduling", "0009_waitlistentry"),
    ]

    operations = [
        migrations.RemoveField(model_name="waitlistentry", name="offer_token_hash"),
    ]
