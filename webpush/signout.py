"""Signing out stops the pushes to that browser: a shared phone must not keep showing the
previous rep's leads. (Subscriptions saved under another sign-in stay.)"""

from __future__ import annotations

from webpush.models import PushSubscription


def forget_this_browser(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if user is not None and session is not None and session.session_key:
        PushSubscription.objects.filter(user=user, session_key=session.session_key).delete()
