"""The rep's queue, the dashboard and the ROI page in English, Malay and Indonesian: the
rep's saved language, the switcher, the cookie and Accept-Language (README "Languages")."""

from __future__ import annotations

import pytest
from django.test import Client

from routing.models import RepProfile
from tests.workspace_kit import make_lead

QUEUE = {"en": ["My queue", "Due now", "Time left"], "ms": ["Baris gilir saya", "Perlu sekarang", "Masa berbaki"],
         "id": ["Antrean saya", "Jatuh tempo sekarang", "Sisa waktu"]}  # fmt: skip
DASHBOARD = {"en": ["SLA dashboard", "Within SLA", "Rep leaderboard"],
             "ms": ["Papan pemuka SLA", "Dalam SLA", "Papan pendahulu wakil jualan"],
             "id": ["Dasbor SLA", "Sesuai SLA", "Peringkat sales"]}  # fmt: skip
ROI = {"en": "ROI of responding faster", "ms": "ROI respons yang lebih pantas", "id": "ROI merespons lebih cepat"}

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "ms", "id"])
def test_it_shows_the_rep_their_queue_in_the_language_saved_on_their_profile(rep, language):
    RepProfile.objects.create(user=rep, language=language)
    make_lead(rep, first_name="Siti")
    html = signed_in(rep).get("/queue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<html lang="{language}">' in html
    for text in QUEUE[language]:
        assert text in html, (language, text)
    others = {text for code, texts in QUEUE.items() if code != language for text in texts}
    assert not [text for text in others if text in html]


def test_it_saves_the_switchers_choice_on_the_reps_profile(rep):
    profile = RepProfile.objects.create(user=rep)
    client = signed_in(rep)
    assert "My queue" in client.get("/queue/").content.decode()
    response = client.post("/language/", {"language": "id", "next": "/queue/"})
    assert (response.status_code, response["Location"]) == (302, "/queue/")
    profile.refresh_from_db()
    assert profile.language == "id"
    fresh = signed_in(rep)  # another device: the profile, not the cookie, carries it
    assert "Antrean saya" in fresh.get("/queue/", HTTP_ACCEPT_LANGUAGE="ms").content.decode()
    assert client.post("/language/", {"language": "ms", "next": "https://evil.example/"})["Location"] == "/"


@pytest.mark.parametrize("language", ["en", "ms", "id"])
def test_it_shows_leadership_the_dashboard_and_roi_page_in_their_language(leader, language):
    client = signed_in(leader)  # no rep profile: the switcher's cookie, else Accept-Language
    client.post("/language/", {"language": language, "next": "/dashboard/"})
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in DASHBOARD[language]:
        assert text in html, (language, text)
    assert ROI[language] in client.get("/dashboard/roi/").content.decode()
    by_browser = signed_in(leader).get("/dashboard/", HTTP_ACCEPT_LANGUAGE=f"{language}-XX").content.decode()
    assert DASHBOARD[language][0] in by_browser
