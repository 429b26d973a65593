"""The languages LeadOps speaks (English, Malay, Indonesian) and how a page picks one.

A lead's language: what it asked for (the payload's `language`, the hosted form's page
language), else its country's (MY -> ms, ID -> id), else English (`lead_language`).

A signed-in user's pages: the language saved on their profile (routing registers the
lookup, since this module imports no app), else the `django_language` cookie the switcher
sets, else the browser's Accept-Language, else English. The hosted form and the booking
page also follow `?lang=` in their URL. The API and the provider hooks always answer in
English: their messages are part of the public interface (SPEC §6)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

ENGLISH, MALAY, INDONESIAN = "en", "ms", "id"
CODES = (ENGLISH, MALAY, INDONESIAN)
CHOICES = [(ENGLISH, "English"), (MALAY, "Malay"), (INDONESIAN, "Indonesian")]  # settings.LANGUAGES too
COUNTRY_LANGUAGES = {"MY": MALAY, "BN": MALAY, "ID": INDONESIAN}
MACHINE_PATHS = ("/api/", "/hooks/")
URL_PARAMETER = "lang"

# Set by the app that keeps user profiles (routing.apps): user -> saved code or "".
_profile_lookup: list[Callable] = []
_profile_save: list[Callable] = []


def register_profile_language(lookup: Callable, save: Callable) -> None:
    _profile_lookup[:] = [lookup]
    _profile_save[:] = [save]


def normalize(value: str) -> str | None:
    """ "ms", "MS", "ms-MY", "ms_MY", "id-ID" -> the code; "" -> ""; anything else -> None."""
    text = (value or "").strip().lower().replace("_", "-")
    if not text:
        return ""
    primary = text.split("-")[0]
    if primary == "in":  # the retired ISO 639 code for Indonesian, still sent by old Android
        primary = INDONESIAN
    return primary if primary in CODES else None


def for_country(country: str) -> str:
    return COUNTRY_LANGUAGES.get((country or "").upper(), ENGLISH)


def lead_language(chosen: str, country: str) -> str:
    """The language of a lead: the one it chose, else its country's, else English."""
    return normalize(chosen) or for_country(country)


def profile_language(user) -> str:
    if not getattr(user, "is_authenticated", False) or not _profile_lookup:
        return ""
    return normalize(_profile_lookup[0](user)) or ""


def visitor_choice(request: HttpRequest) -> str:
    """The language a visitor asked for (`?lang=`, the switcher's cookie, the first of
    ours in Accept-Language), or "" when they asked for none of ours."""
    for candidate in (request.GET.get(URL_PARAMETER, ""), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")):
        if code := normalize(candidate):
            return code
    ranked = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")[:20]):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        ranked.append((-quality, position, tag))
    for _quality, _position, tag in sorted(ranked):
        if code := normalize(tag):
            return code
    return ""


def request_language(request: HttpRequest) -> str:
    if request.path.startswith(MACHINE_PATHS):
        return ENGLISH
    from_url = normalize(request.GET.get(URL_PARAMETER, ""))
    if from_url:
        return from_url
    saved = profile_language(getattr(request, "user", None))
    if saved:
        return saved
    # The cookie, then Accept-Language (Django's own negotiation), limited to LANGUAGES.
    return normalize(translation.get_language_from_request(request)) or ENGLISH


class UserLanguageMiddleware:
    """Activates the request's language (after AuthenticationMiddleware, so the profile counts)."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if not request.path.startswith(MACHINE_PATHS):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """The switcher: saves the choice on the user's profile (when they have one) and in a
    cookie, and goes back to the page it came from."""
    language = normalize(request.POST.get("language", "")) or ENGLISH
    target = request.POST.get("next", "") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    if request.user.is_authenticated and _profile_save:
        _profile_save[0](request.user, language)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def choices() -> list[tuple[str, str]]:
    """(code, the language's own name) for the switcher."""
    return [(code, translation.get_language_info(code)["name_local"]) for code in CODES]
