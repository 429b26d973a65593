"""The lead page: what a rep needs to call now, and every action through the domain
functions, with refusals shown as form errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from leads.models import Attempt, Lead, LeadEvent, Message
from tests.workspace_kit import TUESDAY_11_NY, make_lead, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tuesday_morning():
    with time_machine.travel(TUESDAY_11_NY, tick=False):
        yield


@pytest.fixture
def lead(rep):
    return make_lead(
        rep, utm_source="google", utm_medium="cpc", utm_campaign="q4", job_title="CTO", city="Boston",
        region="MA", routing_trace={"summary": "rule 'Hot to East': chose rep.one.", "candidates": [
            {"rep": "rep.one", "name": "Rita Rep", "eligible": True, "reasons": [], "open_leads": 1, "capacity": 25},
            {"rep": "rep.two", "name": "Oscar", "eligible": False, "reasons": ["away"], "open_leads": 0,
             "capacity": 25},
        ], "chosen": {"id": rep.pk, "username": "rep.one", "name": "Rita Rep"}},
    )  # fmt: skip


@pytest.fixture
def enrolled(lead):
    progress = pytest.importorskip("cadences.progress")
    progress.enroll(lead, at=TUESDAY_11_NY)
    return lead


def page(client, user, lead) -> str:
    client.force_login(user)
    response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_everything_needed_to_call_now(client, rep, lead):
    html = page(client, rep, lead)
    assert 'href="tel:+14155550100"' in html and f'href="mailto:{lead.email}"' in html
    assert "Can you show us the product?" in html
    assert "google / cpc / q4" in html and "Paid ads" in html
    assert lead.company_domain in html and "business address" in html
    assert re.search(r'id="lead-local-time" data-tz="America/New_York">11:00<', html)
    assert f'data-due="{lead.first_contact_due_at.isoformat()}"' in html
    assert "chose rep.one" in html and "away" in html


def test_it_shows_the_cadence_plan_and_its_next_step(client, rep, enrolled):
    html = page(client, rep, enrolled)
    assert 'id="next-step"' in html and "Next: step 1, call" in html
    assert html.count('class="plan-step') >= 5


def test_logging_no_answer_moves_the_plan_to_the_next_step(client, rep, enrolled):
    client.force_login(rep)
    response = client.post(f"/leads/{enrolled.pk}/attempts/", {"channel": "call", "outcome": "no_answer"})
    assert response.status_code == 302 and response["Location"] == f"/leads/{enrolled.pk}/#plan"
    attempt = Attempt.objects.get(lead=enrolled)
    assert (attempt.number, attempt.outcome, attempt.by) == (1, "no_answer", rep)
    html = client.get(response["Location"]).content.decode()
    assert "Next: step 2, call" in html and "Attempt 1 logged: no answer." in html


def test_logging_connected_stops_the_cadence(client, rep, enrolled):
    client.force_login(rep)
    client.post(f"/leads/{enrolled.pk}/attempts/", {"channel": "call", "outcome": "connected"})
    html = client.get(f"/leads/{enrolled.pk}/").content.decode()
    assert "No steps left" in html and "status-cancelled" in html
    assert Lead.objects.get(pk=enrolled.pk).stage == "connected"


def test_an_outcome_that_does_not_fit_the_channel_is_a_form_error(client, rep, lead):
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/attempts/", {"channel": "email", "outcome": "no_answer"})
    assert response.status_code == 400
    assert "A email can end as: replied, sent." in response.content.decode()
    assert not Attempt.objects.exists()


def test_accepting_records_it_once(client, rep, lead):
    client.force_login(rep)
    client.post(f"/leads/{lead.pk}/accept/")
    client.post(f"/leads/{lead.pk}/accept/")
    assert Lead.objects.get(pk=lead.pk).accepted_at is not None
    assert LeadEvent.objects.filter(lead=lead, kind="lead.accepted").count() == 1


def test_a_templated_email_is_queued_once_and_logged_as_an_attempt(
    client, rep, lead, django_capture_on_commit_callbacks
):
    client.force_login(rep)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    form = {"template": "intro", "note": "Great to hear from you!", "token": token}
    with django_capture_on_commit_callbacks():
        first = client.post(f"/leads/{lead.pk}/email/", form)
        again = client.post(f"/leads/{lead.pk}/email/", form)  # a double click
    assert first.status_code == again.status_code == 302
    [message] = Message.objects.filter(purpose="rep_email")
    assert message.recipient == lead.email and message.body.startswith("Great to hear from you!")
    assert "demo request" in message.subject or "demo request" in message.body
    [attempt] = Attempt.objects.filter(lead=lead)
    assert (attempt.channel, attempt.outcome, attempt.by) == ("email", "sent", rep)


def test_an_email_to_a_lead_without_address_is_a_form_error(client, rep):
    lead = make_lead(rep, email="")
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/email/", {"template": "intro", "token": "ab" * 8})
    assert response.status_code == 400 and "This lead gave no email address." in response.content.decode()


def test_disqualifying_needs_a_reason(client, rep, lead):
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/stage/", {"stage": "disqualified", "reason": ""})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    response = client.post(f"/leads/{lead.pk}/stage/", {"stage": "disqualified", "reason": "student project"})
    assert response.status_code == 302
    event = LeadEvent.objects.get(lead=lead, kind="stage.changed")
    assert event.data["reason"] == "student project" and event.actor == rep


def test_converting_a_disqualified_lead_is_refused_with_the_domain_message(client, rep, lead):
    client.force_login(rep)
    client.post(f"/leads/{lead.pk}/stage/", {"stage": "disqualified", "reason": "no budget"})
    response = client.post(f"/leads/{lead.pk}/stage/", {"stage": "converted"})
    assert response.status_code == 400
    assert "Qualify a disqualified lead before converting it." in response.content.decode()


def test_a_note_goes_on_the_timeline(client, rep, lead):
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/notes/", {"text": "Call back after 3pm, ask for Ada."})
    assert response["Location"] == f"/leads/{lead.pk}/#timeline"
    assert "Call back after 3pm, ask for Ada." in client.get(f"/leads/{lead.pk}/").content.decode()
    assert LeadEvent.objects.get(lead=lead, kind="note.added").data == {"text": "Call back after 3pm, ask for Ada."}


def test_handing_over_gives_the_lead_to_a_teammate(client, rep, other_rep, lead):
    make_team(members=[rep, other_rep])
    Lead.objects.filter(pk=lead.pk).update(team=rep.teams.get())
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/handover/", {"to": other_rep.pk})
    assert response["Location"] == "/queue/"
    assert Lead.objects.get(pk=lead.pk).owner == other_rep
    assert client.get(f"/leads/{lead.pk}/").status_code == 404  # no longer the rep's


def test_handing_over_to_someone_outside_the_team_is_a_form_error(client, rep, other_rep, manager, lead):
    make_team(members=[rep])
    Lead.objects.filter(pk=lead.pk).update(team=rep.teams.get())
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/handover/", {"to": other_rep.pk})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_leadership_reads_a_lead_without_the_action_forms(client, leader, lead):
    html = page(client, leader, lead)
    assert "Log the call" not in html and "Hand over" not in html
    client.force_login(leader)
    assert client.post(f"/leads/{lead.pk}/notes/", {"text": "hi"}).status_code == 403


def test_a_manager_can_act_on_a_reps_lead(client, manager, lead):
    client.force_login(manager)
    assert client.post(f"/leads/{lead.pk}/notes/", {"text": "Escalating to legal."}).status_code == 302


def test_the_page_shows_times_in_the_reps_time_zone(client, rep, lead):
    from tests.workspace_kit import rep_profile

    rep_profile(rep, time_zone="Europe/London")
    html = page(client, rep, lead)
    assert "submitted Tue 24 Nov, 16:00" in html  # 11:00 in New York is 16:00 in London
    assert re.search(r'id="lead-local-time" data-tz="America/New_York">11:00<', html)  # the lead's own clock
    assert lead.first_contact_due_at - lead.submitted_at == timedelta(minutes=3)


def test_a_task_step_is_marked_done_from_the_queue_and_the_plan_moves_on(client, rep, other_rep, lead):
    from cadences.models import Cadence, PlannedStep
    from cadences.progress import enroll

    cadence = Cadence.objects.create(name="Partner tasks", position=0, sources=[lead.source])
    cadence.steps.create(order=1, channel="task", name="Send a LinkedIn request", delay=timedelta(0))
    cadence.steps.create(order=2, channel="task", name="Check the account", delay=timedelta(hours=1))
    enroll(lead, at=TUESDAY_11_NY)
    client.force_login(rep)
    queue = client.get("/queue/").content.decode()
    assert f'action="/leads/{lead.pk}/steps/1/done/"' in queue
    client.force_login(other_rep)  # not theirs: 404, nothing changes
    assert client.post(f"/leads/{lead.pk}/steps/1/done/").status_code == 404
    client.force_login(rep)
    response = client.post(f"/leads/{lead.pk}/steps/1/done/", {"back": "queue"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    steps = dict(PlannedStep.objects.filter(enrollment__lead=lead).values_list("number", "status"))
    assert steps == {1: "done", 2: "scheduled"}
    assert "Step 1 is already done" in client.post(f"/leads/{lead.pk}/steps/1/done/", follow=True).content.decode()
    assert client.post(f"/leads/{lead.pk}/steps/9/done/").status_code == 404
    assert f'action="/leads/{lead.pk}/steps/2/done/"' in page(client, rep, lead)
