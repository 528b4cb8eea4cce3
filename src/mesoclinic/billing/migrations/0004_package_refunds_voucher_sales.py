"""A package's unused sessions can be refunded (a ``refunded`` ledger line with the money
given back), a gift voucher records how it was paid for (``method``; vouchers issued
before this are ``none``: no sale was recorded for them) and can be voided
(``VoucherVoid``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q

METHODS = [
    ("card", "Card (terminal)"),
    ("cash", "Cash"),
    ("bank-transfer", "Bank transfer"),
    ("voucher", "Voucher"),
    ("credit", "Account credit"),
    ("none", "No money moved"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_client_account"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="packageentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("bought", "Sessions bought"),
                    ("used", "Session used"),
                    ("refunded", "Unused sessions refunded"),
                ],
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="packageentry",
            name="amount",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="packageentry",
            name="method",
            field=models.CharField(blank=True, choices=METHODS, max_length=16),
        ),
        migrations.AddField(
            model_name="packageentry",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="packageentry", name="package_entry_sign_matches_kind"
        ),
        migrations.AddConstraint(
            model_name="packageentry",
            constraint=models.CheckConstraint(
                condition=(Q(kind="bought") & Q(sessions__gt=0) & Q(appointment__isnull=True))
                | (Q(kind="used") & Q(sessions=-1) & Q(appointment__isnull=False))
                | (
                    Q(kind="refunded")
                    & Q(sessions__lt=0)
                    & Q(appointment__isnull=True)
                    & Q(amount__gte=0)
                ),
                name="package_entry_sign_matches_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="packageentry",
            constraint=models.UniqueConstraint(
                condition=Q(kind="refunded"),
                fields=("package",),
                name="package_entry_one_refund_per_package",
            ),
        ),
        migrations.AddField(
            model_name="giftvoucher",
            name="method",
            field=models.CharField(choices=METHODS, default="none", max_length=16),
        ),
        migrations.CreateModel(
            name="VoucherVoid",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                ("refunded", models.DecimalField(decimal_places=2, max_digits=10)),
                ("method", models.CharField(choices=METHODS, max_length=16)),
                ("note", models.CharField(blank=True, max_length=300)),
                ("at", models.DateTimeField()),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "voucher",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="void",
                        to="billing.giftvoucher",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=Q(amount__gt=0), name="voucher_void_amount_positive"
                    ),
                    models.CheckConstraint(
                        condition=Q(refunded__gte=0, refunded__lte=F("amount")),
                        name="voucher_void_refund_within_amount",
                    ),
                ],
            },
        ),
    ]
