"""`manage.py drf_create_token USERNAME` (SPEC §6), on hashed tokens: it issues a new
token and prints it in DRF's words. A stored token cannot be shown again, so each run
issues another one (earlier ones keep working); `--reset` revokes the earlier ones."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leadops.apitokens.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user (Authorization: Token <key>); the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("-r", "--reset", action="store_true", help="Revoke the user's earlier tokens.")
        parser.add_argument("--label", default="", help="What this token is for.")

    def handle(self, *args, username, reset, label, **options):
        users = get_user_model()._default_manager
        try:
            user = users.get_by_natural_key(username)
        except users.model.DoesNotExist as error:
            raise CommandError(f"Cannot create the Token: user {username} does not exist") from error
        if reset:
            ApiToken.objects.filter(user=user).delete()
        _, raw_key = ApiToken.issue(user, label=label)
        self.stdout.write(f"Generated token {raw_key} for user {username}")
