"""API tokens expire (issue 12): tokens issued before this get 90 days from their creation."""

import datetime as dt

from django.db import migrations, models

EXISTING_TOKEN_DAYS = 90


def set_expiry(apps, schema_editor):
    ApiToken = apps.get_model("people", "ApiToken")
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=token.created_at + dt.timedelta(days=EXISTING_TOKEN_DAYS)
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0002_staff_roles")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(set_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="The token stops working at this moment."),
        ),
        migrations.AddIndex(
            model_name="apitoken",
            index=models.Index(fields=["prefix"], name="api_token_prefix"),
        ),
    ]
