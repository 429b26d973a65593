"""The installable queue: its web app manifest, its service worker (served from the site's
root so its scope covers /queue/ and /leads/), the page it shows offline, and the rep's
alert settings page."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from leadops import webpush
from routing.models import RepProfile
from webpush.forms import AlertSettingsForm
from webpush.models import PushSubscription

THEME = "#1f6feb"
SERVICE_WORKER = "webpush/sw.js"
_cache: dict[str, str] = {}
SHELL_FILES = (
    "css/leadops.css",
    "workspace/workspace.css",
    "workspace/live.js",
    "workspace/queue.js",
    "workspace/lead.js",
    "workspace/ping.wav",
    "webpush/push.js",
    "webpush/icon-192.png",
)


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "id": "/queue/",
        "name": "LeadOps queue",
        "short_name": "LeadOps",
        "description": "Your live lead queue: call new leads the moment they arrive.",
        "start_url": "/queue/?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f5f7fa",
        "theme_color": THEME,
        "icons": [
            {"src": static("webpush/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("webpush/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("webpush/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [{"name": "My queue", "url": "/queue/"}],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def shell_urls() -> list[str]:
    return [static(name) for name in SHELL_FILES] + [reverse("webpush-offline")]


def _worker_source() -> str:
    """static/webpush/sw.js, read once per process (from the app's static files, or from
    the collected ones in production)."""
    if "source" not in _cache:
        path = finders.find(SERVICE_WORKER)
        if path:
            with open(path, encoding="utf-8") as source:
                _cache["source"] = source.read()
        else:
            with staticfiles_storage.open(SERVICE_WORKER) as source:
                _cache["source"] = source.read().decode("utf-8")
    return _cache["source"]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker script, with its settings on a first line. Its version is a digest of
    the script and the shell's URLs (hashed names in production), so a deploy that changes
    a file installs the worker again with a fresh cache."""
    source = _worker_source()
    shell = shell_urls()
    settings_line = {
        "version": hashlib.sha256((json.dumps(shell) + source).encode()).hexdigest()[:12],
        "shell": shell,
        "offline": reverse("webpush-offline"),
        "icon": static("webpush/icon-192.png"),
        "badge": static("webpush/icon-192.png"),
        # The worker's own words, in the language of the page that registered it (a
        # switch of language changes these bytes, so the browser installs it again).
        "labels": {
            "accept": gettext("Accept"),
            "call": gettext("Call"),
            "offline": gettext("You are offline. LeadOps will work again once the connection is back."),
            "something_new": gettext("Something new in your queue."),
        },
    }
    body = f"self.LEADOPS_SW = {json.dumps(settings_line)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when a page cannot be fetched: no personal data."""
    return render(request, "webpush/offline.html")


@login_required
def alert_settings(request: HttpRequest) -> HttpResponse:
    """The rep's choices per channel, and the devices that get push."""
    profile, _ = RepProfile.objects.get_or_create(user=request.user)
    if request.method == "POST" and request.POST.get("remove"):
        PushSubscription.objects.filter(user=request.user, pk=_number(request.POST["remove"])).delete()
        messages.success(request, "That device gets no more alerts.")
        return redirect("webpush-settings")
    form = AlertSettingsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your alert settings are saved.")
        return redirect("webpush-settings")
    context = {
        "form": form,
        "devices": PushSubscription.objects.filter(user=request.user).order_by("created_at"),
        "push_ready": webpush.configured(),
        "public_url": settings.LEADOPS_PUBLIC_URL,
    }
    return render(request, "webpush/settings.html", context, status=400 if form.errors else 200)


def _number(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 19 else 0
