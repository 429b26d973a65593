"""Project-level replies: the 404 reply (JSON under /api/)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """The API answers JSON even for a URL no route matches (/api/v1/leads/abc); pages
    keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
