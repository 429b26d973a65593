"""The ordered SLA policies of SPEC §3.2, from the research; managers edit them later."""

from datetime import timedelta

from django.db import migrations

S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
HOT_WARM = ["hot", "warm"]

POLICIES = [
    dict(name="Named-account inquiry", named_account_only=True,
         assign_within=30 * S, first_contact_within=15 * M, reassign_after=5 * M),
    dict(name="Enterprise segment, cold", segments=["enterprise"], temperatures=["cold"],
         assign_within=5 * M, first_contact_within=30 * M, reassign_after=15 * M),
    dict(name="Event (trade show) lead: same business day", sources=["event"],
         assign_within=15 * M, first_contact_by_close_of_day=True, reassign_after=1 * H),
    dict(name="B2C cart abandonment or pricing", segments=["b2c"], inquiry_types=["cart_abandonment", "pricing"],
         assign_within=30 * S, first_contact_within=2 * M, reassign_after=2 * M),
    dict(name="B2C other hot or warm inquiry", segments=["b2c"], temperatures=HOT_WARM,
         assign_within=1 * M, first_contact_within=5 * M, reassign_after=5 * M),
    dict(name="Hot", temperatures=["hot"],
         assign_within=30 * S, first_contact_within=3 * M, reassign_after=5 * M),
    dict(name="Warm from organic", temperatures=["warm"], sources=["organic"],
         assign_within=2 * M, first_contact_within=10 * M, reassign_after=10 * M),
    dict(name="Warm from referral", temperatures=["warm"], sources=["referral"],
         assign_within=2 * M, first_contact_within=30 * M, reassign_after=15 * M),
    dict(name="Warm", temperatures=["warm"],
         assign_within=2 * M, first_contact_within=15 * M, reassign_after=15 * M),
    dict(name="Cold", temperatures=["cold"],
         assign_within=15 * M, first_contact_within=4 * H, reassign_after=1 * H),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("leads", "SlaPolicy")
    if SlaPolicy.objects.exists():
        return
    for position, fields in enumerate(POLICIES, start=1):
        SlaPolicy.objects.create(position=position * 10, **fields)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
