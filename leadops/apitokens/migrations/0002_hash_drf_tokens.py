"""Existing rest_framework.authtoken tokens keep working: each raw key is stored as its
SHA-256 here, then removed from DRF's table (which stays, empty, if it exists)."""

from datetime import UTC, datetime

from django.db import migrations
from django.utils import timezone

from leadops.apitokens.models import hash_token

LEGACY_TABLE = "authtoken_token"


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    api_token = apps.get_model("apitokens", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "key", "user_id", "created" FROM {LEGACY_TABLE}')  # noqa: S608 (a constant)
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = api_token.objects.create(
            user_id=user_id, prefix=key[:8], key_hash=hash_token(key), label="from rest_framework.authtoken"
        )
        if isinstance(created, datetime) and timezone.is_naive(created):
            created = timezone.make_aware(created, UTC)
        api_token.objects.filter(pk=token.pk).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LEGACY_TABLE}")  # noqa: S608 (a constant)


class Migration(migrations.Migration):
    dependencies = [("apitokens", "0001_initial")]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
