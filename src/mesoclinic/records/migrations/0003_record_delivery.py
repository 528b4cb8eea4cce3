"""The record says how the cocktail went in: freehand (syringe) or by device.

Records written before this kept a device when one was used: those are device sessions.
"""

from django.db import migrations, models


def _device_records_are_device_delivery(apps, schema_editor):
    record = apps.get_model("records", "TreatmentRecord")
    record.objects.filter(device__isnull=False).update(delivery="device")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_sign_off"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatmentrecord",
            name="delivery",
            field=models.CharField(
                choices=[("freehand", "Freehand (syringe)"), ("device", "Device")],
                default="freehand",
                max_length=10,
            ),
        ),
        migrations.RunPython(
            _device_records_are_device_delivery, migrations.RunPython.noop, elidable=True
        ),
    ]
