"""Password reset whose link always points at LEADOPS_PUBLIC_URL.

Django's PasswordResetView takes the link's host from the request (Host header) and its
scheme from request.is_secure(): a client that sends `Host: evil.example` would get a
victim's reset link mailed on the attacker's site. Here the form ignores both."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView

from leadops.public import public_host, public_is_https


class PublicLinkPasswordResetForm(PasswordResetForm):
    def save(self, *args, **kwargs):
        kwargs["domain_override"] = public_host()
        kwargs["use_https"] = public_is_https()
        return super().save(*args, **kwargs)


class PublicLinkPasswordResetView(PasswordResetView):
    form_class = PublicLinkPasswordResetForm
