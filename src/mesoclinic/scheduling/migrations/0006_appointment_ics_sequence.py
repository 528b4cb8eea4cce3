"""Appointment.ics_sequence: the iCalendar SEQUENCE of each appointment.

Added with one ``ALTER TABLE … ADD COLUMN`` on both databases. Django's own AddField would
rebuild the table on SQLite (a NOT NULL column with a default), and a rebuild drops the
overlap-guard and calendar-revision triggers of migrations 0002-0004. The column's database
default (0) only fills existing rows; Django always writes the value itself.
"""

from django.db import migrations, models

ADD = (
    "ALTER TABLE scheduling_appointment ADD COLUMN ics_sequence integer NOT NULL DEFAULT 0 "
    "CHECK (ics_sequence >= 0)"
)
DROP = "ALTER TABLE scheduling_appointment DROP COLUMN ics_sequence"


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0005_truncate_restarts_calendar"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP, elidable=False)],
            state_operations=[
                migrations.AddField(
                    model_name="appointment",
                    name="ics_sequence",
                    field=models.PositiveIntegerField(
                        default=0,
                        help_text="iCalendar SEQUENCE: raised by each reschedule and the cancellation, so calendars take the newest file as the update (RFC 5545 §3.8.7.4).",
                    ),
                ),
            ],
        ),
    ]
