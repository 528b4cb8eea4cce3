"""A staff user may hold several roles: the single ``role`` becomes two flags (the
practitioner role is a linked ``Practitioner``)."""

from django.db import migrations, models


def roles_to_flags(apps, schema_editor):
    StaffProfile = apps.get_model("people", "StaffProfile")
    Practitioner = apps.get_model("people", "Practitioner")
    for profile in StaffProfile.objects.all():
        profile.is_admin = profile.role == "admin"
        # A practitioner account without a practitioner record keeps front-desk access.
        profile.is_reception = profile.role == "reception" or (
            profile.role == "practitioner"
            and not Practitioner.objects.filter(user_id=profile.user_id).exists()
        )
        profile.save(update_fields=["is_admin", "is_reception"])


def flags_to_roles(apps, schema_editor):
    StaffProfile = apps.get_model("people", "StaffProfile")
    Practitioner = apps.get_model("people", "Practitioner")
    for profile in StaffProfile.objects.all():
        if profile.is_admin:
            profile.role = "admin"
        elif Practitioner.objects.filter(user_id=profile.user_id).exists():
            profile.role = "practitioner"
        else:
            profile.role = "reception"
        profile.save(update_fields=["role"])


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="staffprofile",
            name="is_admin",
            field=models.BooleanField(
                default=False,
                help_text="Configuration, staff, stock, reports and the audit log; no clinical content.",
                verbose_name="administrator",
            ),
        ),
        migrations.AddField(
            model_name="staffprofile",
            name="is_reception",
            field=models.BooleanField(
                default=False,
                help_text="Clients' contact details, bookings and payments.",
                verbose_name="reception",
            ),
        ),
        migrations.AlterField(
            model_name="staffprofile",
            name="role",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.RunPython(roles_to_flags, flags_to_roles),
        migrations.RemoveField(model_name="staffprofile", name="role"),
    ]
