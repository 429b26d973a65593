"""The lead's language (README "Languages"): from the payload, the hosted form or the
country; the acknowledgment in that language with the promise in the lead's own time."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cadences.models import AcknowledgmentTranslation
from demo.translations import ensure_acknowledgment_translations
from leadops.languages import lead_language, normalize
from leads.models import Lead

FRIDAY_20_KUALA_LUMPUR = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SATURDAY_21_JAKARTA = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
MALAY_LEAD = {
    "email": "aminah@kedai.my",
    "first_name": "Aminah",
    "phone": "+60 12-345 6789",
    "country": "MY",
    "timezone": "Asia/Kuala_Lumpur",
    "company": "Kedai Runcit Sdn Bhd",
    "inquiry_type": "demo_request",
    "message": "Kami perlukan demo untuk 12 orang jurujual.",
}


def post_lead(client, key, body):
    return client.post(
        "/api/v1/leads", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


@pytest.mark.parametrize(
    ("given", "country", "expected"),
    [
        ("", "MY", "ms"), ("", "ID", "id"), ("", "BN", "ms"), ("", "GB", "en"), ("", "", "en"),
        ("ms-MY", "GB", "ms"), ("id_ID", "MY", "id"), ("EN", "MY", "en"), ("in", "", "id"),
    ],
)  # fmt: skip
def test_it_picks_the_chosen_language_else_the_countrys(given, country, expected):
    assert lead_language(given, country) == expected


def test_it_refuses_languages_it_does_not_speak():
    assert normalize("fr") is None and normalize("zh-Hans-CN") is None and normalize("") == ""


@pytest.mark.django_db
def test_it_sends_a_malay_lead_a_malay_acknowledgment_with_the_promise_in_their_time(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks
):
    ensure_acknowledgment_translations()
    with time_machine.travel(FRIDAY_20_KUALA_LUMPUR, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_lead(client, intake_key, MALAY_LEAD)
        assert response.status_code == 201, response.content
        run_jobs()
    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.language, lead.resolved_time_zone, lead.after_hours) == ("ms", "Asia/Kuala_Lumpur", True)
    [email] = mail.outbox
    assert email.subject == f"Kami telah menerima permintaan demo anda (L-{lead.pk})"
    # Friday 20:00 in Kuala Lumpur: Monday 09:03 there, named and written in Malay.
    assert "Hai Aminah," in email.body
    assert "seorang pakar akan menghubungi anda pada Isnin, 09:03 waktu anda (Asia/Kuala_Lumpur)" in email.body
    assert "- Permintaan: Permintaan demo" in email.body
    assert '"Kami perlukan demo untuk 12 orang jurujual."' in email.body
    assert "Monday" not in email.body and "your time" not in email.body


@pytest.mark.django_db
def test_it_falls_back_to_the_english_acknowledgment_wholly_in_english(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks
):
    ensure_acknowledgment_translations()
    AcknowledgmentTranslation.objects.filter(language="ms", kind="email_after_hours").update(active=False)
    with time_machine.travel(FRIDAY_20_KUALA_LUMPUR, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_lead(client, intake_key, MALAY_LEAD).status_code == 201
        run_jobs()
    [email] = mail.outbox
    assert email.subject.startswith("We received your demo request")
    assert "on Monday at 09:03 your time (Asia/Kuala_Lumpur)" in email.body


@pytest.mark.django_db
def test_it_takes_the_payload_language_over_the_country_and_refuses_an_unknown_one(client, intake_key):
    response = post_lead(client, intake_key, {**MALAY_LEAD, "language": "id-ID"})
    assert response.status_code == 201
    assert Lead.objects.get(pk=response.json()["id"]).language == "id"
    refused = post_lead(client, intake_key, {**MALAY_LEAD, "email": "b@kedai.my", "language": "klingon"})
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": {"language": ["Use one of: en, ms, id (a regional tag such as ms-MY is accepted)."]}
    }
    # The API answers in English whatever the client's Accept-Language.
    refused = client.post(
        "/api/v1/leads", data=json.dumps({"language": 7}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}", HTTP_ACCEPT_LANGUAGE="ms",
    )  # fmt: skip
    assert refused.json()["errors"]["email"] == ["Give an email or a phone number."]


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
def test_it_takes_an_indonesian_lead_through_the_hosted_form_in_indonesian(lead_source, run_jobs):
    ensure_acknowledgment_translations()
    client = Client(enforce_csrf_checks=True)
    page = client.get("/f/website/", HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert '<html lang="id">' in html and "Bicara dengan spesialis" in html and "Nama depan" in html
    assert 'name="language" value="id"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    fields = {
        "first_name": "Budi", "email": "budi@toko.co.id", "phone": "+62 812 3456 7890", "country": "ID",
        "inquiry_type": "demo_request", "message": "Mohon demo", "language": "id", "csrfmiddlewaretoken": token,
    }  # fmt: skip
    with time_machine.travel(SATURDAY_21_JAKARTA, tick=False):
        response = client.post("/f/website/", fields, follow=True, HTTP_ACCEPT_LANGUAGE="id")
    thanks = response.content.decode()
    lead = Lead.objects.get()
    assert (lead.language, lead.resolved_time_zone) == ("id", "Asia/Jakarta")
    assert "Terima kasih, Budi — permintaan Anda sudah kami terima." in thanks
    assert "pada hari Senin pukul 09.03 waktu Anda" in thanks
    from leads.acknowledgments import acknowledge_inquiry

    with time_machine.travel(SATURDAY_21_JAKARTA, tick=False):
        acknowledge_inquiry(lead.inquiries.get().pk)
    [email] = mail.outbox
    assert email.subject == f"Kami sudah menerima permintaan demo Anda (L-{lead.pk})"
    assert "Halo Budi," in email.body and "pada hari Senin pukul 09.03 waktu Anda (Asia/Jakarta)" in email.body


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
def test_it_switches_the_form_language_from_the_url_and_shows_errors_in_it(lead_source):
    client = Client()
    page = client.get("/f/website/?lang=ms", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bercakap dengan pakar" in page.content.decode()
    response = client.post("/f/website/?lang=ms", {"email": "aminah@", "language": "ms"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Masukkan alamat e-mel yang sah." in html and "Sila semak medan yang ditandakan." in html
    english = client.get("/f/website/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "Talk to a specialist" in english and 'name="language" value="en"' in english
    nothing = client.get("/f/website/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()
    assert "Talk to a specialist" in nothing and 'name="language" value=""' in nothing  # the country decides
