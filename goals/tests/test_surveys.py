"""Feedback: the lead's one-question survey (sent once after a connected call, a signed
link that cannot be forged, expires, and takes one answer) and the reps' monthly "what
slows you down?" (in the app, answered once a month, shown to leadership without names)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import OptOut
from goals import closing
from goals.models import LeadSurveyAnswer, RepSurveyAnswer
from goals.survey import survey_token, survey_url
from goals.tests.conftest import ny
from leadops.booking_links import booking_token
from leads.lifecycle import log_attempt
from leads.models import Message
from tests.workspace_kit import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def surveys_on(settings):
    settings.LEADOPS_LEAD_SURVEY_ENABLED = True
    settings.LEADOPS_LEAD_SURVEY_DELAY_MINUTES = 60
    settings.LEADOPS_LEAD_SURVEY_LINK_DAYS = 14


@pytest.fixture
def connected(clock, east, ava):
    clock.move(ny(23, 10))
    lead = make_lead(ava, team=east, at=ny(23, 10), first_name="Lena")
    log_attempt(lead, channel="call", outcome="no_answer", by=ava, at=ny(23, 10, 2))
    log_attempt(lead, channel="call", outcome="connected", by=ava, at=ny(23, 10, 30))
    return lead


def survey_messages():
    return list(Message.objects.filter(purpose="lead_survey"))


# --- sending ------------------------------------------------------------------------------


def test_a_connected_lead_gets_one_survey_email_after_the_delay(
    surveys_on, connected, clock, run_jobs, django_capture_on_commit_callbacks
):
    clock.move(ny(23, 11, 29))
    assert closing.run()["lead_surveys"] == 0  # an hour after the connect, not before
    clock.move(ny(23, 11, 31))
    with django_capture_on_commit_callbacks(execute=True):
        assert closing.run()["lead_surveys"] == 1
        assert closing.run()["lead_surveys"] == 0  # once per lead
    run_jobs()
    [message] = survey_messages()
    assert message.state == "sent" and message.recipient == connected.email
    [email] = [sent for sent in mail.outbox if sent.to == [connected.email] and "question" in sent.subject]
    assert "how quickly did we get back to you?" in email.body and survey_url(connected.pk) in email.body
    assert "Hello Lena" in email.body and "Ava Adams" in email.body


def test_no_survey_without_a_connected_call_an_email_consent_to_mail_or_the_setting(
    surveys_on, clock, east, ava, settings
):
    clock.move(ny(23, 10))
    unreached = make_lead(ava, team=east, at=ny(23, 10))
    log_attempt(unreached, channel="call", outcome="voicemail", by=ava, at=ny(23, 10, 2))
    replied = make_lead(ava, team=east, at=ny(23, 10))  # reached by email: not a connected call
    log_attempt(replied, channel="email", outcome="replied", by=ava, at=ny(23, 10, 2))
    opted_out = make_lead(ava, team=east, at=ny(23, 10))
    log_attempt(opted_out, channel="call", outcome="connected", by=ava, at=ny(23, 10, 2))
    OptOut.objects.create(lead=opted_out, channel="email")
    junk = make_lead(ava, team=east, at=ny(23, 10), junk=True)
    log_attempt(junk, channel="call", outcome="connected", by=ava, at=ny(23, 10, 2))
    no_email = make_lead(ava, team=east, at=ny(23, 10), email="")
    log_attempt(no_email, channel="call", outcome="connected", by=ava, at=ny(23, 10, 2))
    clock.move(ny(23, 14))
    assert closing.run()["lead_surveys"] == 0
    settings.LEADOPS_LEAD_SURVEY_ENABLED = False
    OptOut.objects.all().delete()
    assert closing.run()["lead_surveys"] == 0 and survey_messages() == []


# --- the lead's page ------------------------------------------------------------------------


def test_the_lead_answers_once(client, connected):
    url = f"/survey/{survey_token(connected.pk)}/"
    page = client.get(url)
    assert page.status_code == 200 and "How quickly did we get back to you?" in page.content.decode()
    bad = client.post(url, {"answer": "instantly!"})
    assert bad.status_code == 400 and "Choose one of the answers shown." in bad.content.decode()
    empty = client.post(url, {})
    assert empty.status_code == 400 and "Choose one answer." in empty.content.decode()
    too_long = client.post(url, {"answer": "faster", "comment": "x" * 1001})
    assert too_long.status_code == 400 and "at most 1000 characters" in too_long.content.decode()
    assert not LeadSurveyAnswer.objects.exists()
    done = client.post(url, {"answer": "faster", "comment": "<b>Called in 30 min</b>"})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    again = client.post(url, {"answer": "slower"})
    assert again.status_code == 409 and "You already answered" in again.content.decode()
    assert client.get(url).status_code == 200  # the link still opens, saying so
    answer = LeadSurveyAnswer.objects.get()
    assert (answer.lead, answer.rep.username, answer.answer) == (connected, "ava", "faster")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "forged",  # a valid token with its signature changed
        "booking",  # a signed link of another kind (the booking page's)
        "",
    ],
)
def test_a_forged_or_foreign_link_is_not_found(client, connected, token):
    if token == "forged":
        good = survey_token(connected.pk)
        token = good[:-1] + ("A" if good[-1] != "A" else "B")
    elif token == "booking":
        token = booking_token(connected.pk)
    url = f"/survey/{token}/" if token else "/survey//"
    for response in (client.get(url), client.post(url, {"answer": "faster"})):
        assert response.status_code == 404
    assert not LeadSurveyAnswer.objects.exists()


def test_an_old_link_has_expired_and_a_junk_lead_has_no_survey(client, connected, clock, surveys_on, east, ava):
    url = f"/survey/{survey_token(connected.pk)}/"
    clock.move(ny(23, 10) + timedelta(days=15))
    expired = client.post(url, {"answer": "faster"})
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert not LeadSurveyAnswer.objects.exists()
    junk = make_lead(ava, team=east, junk=True)
    assert client.get(f"/survey/{survey_token(junk.pk)}/").status_code == 404


# --- the reps' monthly survey ---------------------------------------------------------------------


def test_a_rep_answers_the_monthly_question_on_my_stats(client, clock, ava, ben, manager, leader):
    clock.move(ny(24, 9))
    client.force_login(ava)
    assert 'id="rep-survey"' in client.get("/queue/stats/").content.decode()
    missing = client.post("/goals/rep-survey/", {"comment": "nothing ticked"})
    assert missing.status_code == 400 and "Tick at least one thing that slows you down." in missing.content.decode()
    wrong = client.post("/goals/rep-survey/", {"reasons": ["coffee"]})
    assert wrong.status_code == 400 and "Select a valid choice" in wrong.content.decode()
    long_comment = client.post("/goals/rep-survey/", {"reasons": ["tools"], "comment": "x" * 1001})
    assert long_comment.status_code == 400
    answer = {"reasons": ["tools", "bad_data"], "comment": "<script>alert(1)</script> the CRM is slow"}
    assert client.post("/goals/rep-survey/", answer).status_code == 302
    assert client.post("/goals/rep-survey/", {"reasons": ["other"]}).status_code == 302  # already answered
    assert RepSurveyAnswer.objects.get().reasons == ["tools", "bad_data"]
    assert 'id="rep-survey"' not in client.get("/queue/stats/").content.decode()
    client.force_login(ben)
    client.post("/goals/rep-survey/", {"reasons": ["tools"]})
    client.force_login(manager)
    assert client.post("/goals/rep-survey/", {"reasons": ["tools"]}).status_code == 403  # reps only

    client.force_login(leader)
    html = client.get("/dashboard/").content.decode()
    feedback = html[html.index('id="feedback"') :]
    assert "2 reps answered this month" in feedback
    assert '<td>Switching between tools</td><td class="num">2</td>' in feedback
    assert "&lt;script&gt;alert(1)&lt;/script&gt; the CRM is slow" in feedback and "<script>alert" not in feedback
    assert "Ava" not in feedback and "Ben" not in feedback  # anonymous to readers
    clock.move(ny(1, 9, month=12))  # a new month: asked again
    client.force_login(ava)
    assert 'id="rep-survey"' in client.get("/queue/stats/").content.decode()


def test_the_dashboard_sums_up_the_leads_answers_for_its_period(client, connected, clock, leader):
    LeadSurveyAnswer.objects.create(lead=connected, rep=connected.owner, answer="slower", comment="Took a while")
    clock.move(ny(24, 9))
    client.force_login(leader)
    html = client.get("/dashboard/?period=7").content.decode()
    feedback = html[html.index('id="feedback"') :]
    assert "1 answer from the leads of this period" in feedback
    assert '<td>Slower than I expected</td><td class="num">1</td>' in feedback and "Took a while" in feedback
    html = client.get("/dashboard/?since=2026-11-24").content.decode()
    assert "0 answers from the leads of this period" in html


def test_the_delay_counts_from_the_connected_call_not_an_earlier_reply(surveys_on, clock, east, ava):
    clock.move(ny(23, 10))
    lead = make_lead(ava, team=east, at=ny(23, 10))
    log_attempt(lead, channel="email", outcome="replied", by=ava, at=ny(23, 10, 5))  # reached first by email
    log_attempt(lead, channel="call", outcome="connected", by=ava, at=ny(23, 15))
    clock.move(ny(23, 15, 30))
    assert closing.run()["lead_surveys"] == 0  # the reply was hours ago, the call half an hour
    clock.move(ny(23, 16, 1))
    assert closing.run()["lead_surveys"] == 1


# --- the lead's language (README "Languages") ----------------------------------------------


def test_a_malay_lead_gets_the_survey_email_and_page_in_malay(surveys_on, connected, clock, client):
    connected.language = "ms"
    connected.save(update_fields=["language"])
    clock.move(ny(23, 11, 31))
    assert closing.run()["lead_surveys"] == 1
    [message] = survey_messages()
    assert message.subject.startswith("Satu soalan ringkas daripada ")
    assert "Salam Lena," in message.body and "berapa cepat kami menghubungi anda semula?" in message.body
    assert "Ava Adams" in message.body and survey_url(connected.pk) in message.body
    url = f"/survey/{survey_token(connected.pk)}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()  # the lead's language, not the browser's
    assert "Berapa cepat kami menghubungi anda semula?" in page and "Lebih cepat daripada jangkaan saya" in page
    assert "Pilih satu jawapan." in client.post(url, {}).content.decode()
    english = client.get(url + "?lang=en").content.decode()  # the link may ask for another language
    assert "How quickly did we get back to you?" in english and "Berapa cepat" not in english
