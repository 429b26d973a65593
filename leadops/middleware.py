"""Site-wide guards that belong to no single view.

RejectNulBytes: a NUL character in the path, a query parameter or a form field is never
meaningful here, and PostgreSQL refuses it in text ("A string literal cannot contain NUL"),
which turned such requests into 500s wherever a value reached a query (the admin's
changelist filters, for one). They get a 400 before any view runs: JSON
`{"errors": {field: [message]}}` under /api/ and /hooks/ and for paths ending in .json (the
booking page's slots, the dashboard's breach counter), plain text elsewhere. Multipart bodies are
left to the views (reading them here would consume the upload); their form fields
refuse NUL themselves.

PermissionsPolicyMiddleware: LeadOps's pages use none of the browser's powerful features
(camera, microphone, location, payment, USB, sensors), so a script that got in through
some other hole cannot use them either. Notifications and the ping sound are not
governed by this header and keep working."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MESSAGE = "Must not contain NUL characters."
FORM_TYPE = "application/x-www-form-urlencoded"
MACHINE_PATHS = ("/api/", "/hooks/")  # answered in JSON: the API and the provider hooks


def _nul_field(pairs) -> str | None:
    for name, values in pairs:
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "") or "non_field_errors"
    return None


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first parameter (path, query or url-encoded form) holding a NUL, or None."""
    if "\x00" in request.path:
        return "path"
    field = _nul_field(request.GET.lists())
    if field is None and request.method == "POST" and request.content_type == FORM_TYPE:
        try:
            field = _nul_field(request.POST.lists())
        except (SuspiciousOperation, ValueError):
            return None  # too big or too many fields: the view answers that in its own way
    return field


class RejectNulBytes:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        if request.path.startswith(MACHINE_PATHS) or request.path.endswith(".json"):
            return JsonResponse({"errors": {field: [MESSAGE]}}, status=400)
        return HttpResponseBadRequest(f"{field}: {MESSAGE}", content_type="text/plain; charset=utf-8")


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
