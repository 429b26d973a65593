"""What every signed-in page's base template needs: the viewer's roles and where its live
updates come from (the websocket of workspace/consumers.py)."""

from __future__ import annotations

from django.conf import settings

from leadops.languages import choices
from leadops.roles import REPS, in_group, is_manager


def workspace(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_rep": in_group(user, REPS),
        "is_manager": is_manager(user),
        "live": {"user_id": user.pk, "ws_url": settings.LEADOPS_WS_URL.rstrip("/"), "sound_url": ""},
        "push_public_key": settings.LEADOPS_VAPID_PUBLIC_KEY if settings.LEADOPS_VAPID_PRIVATE_KEY else "",
    }


def languages(request) -> dict:
    """The language switcher's choices and the page's language (every page may show it)."""
    return {"language_choices": choices(), "language_code": getattr(request, "LANGUAGE_CODE", "en")}
