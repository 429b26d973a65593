"""A default Mon-Fri 09:00-17:00 schedule exists after `migrate` (SPEC §3.3)."""

import datetime

from django.db import migrations


def create_default_schedule(apps, schema_editor):
    BusinessSchedule = apps.get_model("routing", "BusinessSchedule")
    WeeklyHours = apps.get_model("routing", "WeeklyHours")
    if BusinessSchedule.objects.filter(is_default=True).exists():
        return
    schedule = BusinessSchedule.objects.create(
        name="Standard business hours", time_zone="America/New_York", is_default=True
    )
    WeeklyHours.objects.bulk_create(
        WeeklyHours(schedule=schedule, weekday=day, opens=datetime.time(9), closes=datetime.time(17))
        for day in range(5)
    )


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(create_default_schedule, migrations.RunPython.noop)]
