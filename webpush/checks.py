"""`manage.py check`: the VAPID keys, when set, must be a matching pair."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register()
def vapid_keys(app_configs, **kwargs):
    from leadops import webpush

    public, private = settings.LEADOPS_VAPID_PUBLIC_KEY, settings.LEADOPS_VAPID_PRIVATE_KEY
    if not public and not private:
        return []
    hint = "Run `manage.py generate_vapid_keys` and set both LEADOPS_VAPID_* lines it prints."
    if not (public and private):
        return [
            checks.Error(
                "Set both LEADOPS_VAPID_PUBLIC_KEY and LEADOPS_VAPID_PRIVATE_KEY.", hint=hint, id="webpush.E001"
            )
        ]
    if webpush.public_key_of(private) != public:
        return [
            checks.Error("LEADOPS_VAPID_PUBLIC_KEY does not belong to the private key.", hint=hint, id="webpush.E002")
        ]
    return []
