"""Settings LeadOps refuses to start with (called at the end of settings.py, so gunicorn,
daphne, the worker and every manage.py command stop before serving anything).

Pure functions of the settings' values: no Django import, so settings.py can call them."""

from __future__ import annotations

from urllib.parse import urlsplit

CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"


def origin_of(url: str) -> str:
    """scheme://host[:port] of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def public_url_problem(public_url: str) -> str:
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"LEADOPS_PUBLIC_URL must be an absolute http(s) URL, e.g. https://crm.example.com (got {public_url!r})."
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"LEADOPS_PUBLIC_URL is the site's scheme and host only, with no path (got {public_url!r})."
    return ""


def refusals(
    *,
    debug: bool,
    allowed_hosts: list[str],
    email_backend: str,
    allow_console_email: bool,
    public_url: str,
    ws_allowed_origins: list[str],
) -> list[str]:
    """Why these settings are unsafe, one sentence each; empty when they are fine."""
    problems = [public_url_problem(public_url)]
    if "*" in ws_allowed_origins or "null" in ws_allowed_origins:
        problems.append("LEADOPS_WS_ALLOWED_ORIGINS lists sites by name: '*' and 'null' are refused.")
    if not debug and "*" in allowed_hosts:
        problems.append(
            "ALLOWED_HOSTS='*' with DEBUG=false lets any Host header in: list the site's host names "
            "(e.g. ALLOWED_HOSTS=leadops.example.com)."
        )
    if not debug and email_backend == CONSOLE_EMAIL_BACKEND and not allow_console_email:
        problems.append(
            "EMAIL_URL is unset (mail would be printed to the log, password reset links included) "
            "with DEBUG=false: set EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587), "
            "or LEADOPS_ALLOW_CONSOLE_EMAIL=true to print mail on purpose."
        )
    return [problem for problem in problems if problem]
