"""Alerts beyond the page: hot-lead SMS and team chat messages (exactly once, through the
outbox; HTTP mocked only at leadops.transports.post), and the SLA watch (warning at 80%
of the time, breach when it is gone, each once per lead)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from leadops import transports
from leadops.transports import Outgoing, TransportError, WebhookChatTransport
from leads.actions import record_event
from leads.messaging import deliver_message
from leads.models import LeadEvent, Message, SlaPolicy
from notifications.alerts import hot_lead_alerts, sla_warning_at, sla_watch
from tests.workspace_kit import TUESDAY_11_NY, XSS, make_lead, make_team, rep_profile

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"
TEAMS = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"


@pytest.fixture
def hot_team(rep, manager):
    rep_profile(rep, sms_phone="+14155550199")
    return make_team(manager=manager, members=[rep], webhook=SLACK)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def posted(monkeypatch):
    """The requests the transports would have sent (the one outbound HTTP point)."""
    requests = []

    def fake_post(request):
        requests.append(request)
        return FakeResponse(b"ok")

    monkeypatch.setattr(transports, "post", fake_post)
    return requests


# --- hot-lead alerts -----------------------------------------------------------------------------------


def test_a_hot_assignment_texts_the_rep_and_tells_the_team_once(rep, hot_team, django_capture_on_commit_callbacks):
    lead = make_lead(rep, team=hot_team, company="Analytical Engines")
    for _ in range(2):  # a retried job records the assignment again: nothing is sent twice
        with django_capture_on_commit_callbacks(), transaction.atomic():
            record_event(lead, "lead.assigned", actor_label="routing", owner_id=rep.pk)
    sms = Message.objects.get(channel="sms", purpose="hot_alert")
    chat = Message.objects.get(channel="chat", purpose="hot_alert")
    assert sms.recipient == "+14155550199" and chat.recipient == SLACK
    for text in (sms.body, chat.body):
        assert lead.display_name in text and "Analytical Engines" in text and "+1" in text
        assert "Paid ads" in text and f"http://127.0.0.1:8000/leads/{lead.pk}/" in text
    assert "hot" in sms.body and "Temperature: Hot" in chat.body
    due = lead.first_contact_due_at.astimezone(ZoneInfo(hot_team.schedule.time_zone))
    assert f"Call by (SLA): {due:%a %d %b %H:%M} {due.tzname()}" in chat.body  # the team's clock
    assert chat.subject == f"Hot lead L-{lead.pk} for Rita Rep"


def test_a_reassigned_hot_lead_texts_the_new_rep_but_not_the_team_again(rep, other_rep, hot_team):
    rep_profile(other_rep, sms_phone="+14155550188")
    lead = make_lead(rep, team=hot_team)
    hot_lead_alerts(lead, rep.pk)
    lead.owner = other_rep
    hot_lead_alerts(lead, other_rep.pk)
    assert sorted(Message.objects.filter(channel="sms").values_list("recipient", flat=True)) == [
        "+14155550188",
        "+14155550199",
    ]
    assert Message.objects.filter(channel="chat").count() == 1


def test_warm_leads_and_reps_without_a_phone_get_no_alert(rep, other_rep, hot_team):
    hot_lead_alerts(make_lead(rep, team=hot_team, temperature="warm"), rep.pk)
    assert not Message.objects.exists()
    hot_lead_alerts(make_lead(other_rep), other_rep.pk)  # no phone, no team webhook
    assert not Message.objects.exists()


def test_a_hot_lead_nobody_can_take_is_posted_to_the_team(hot_team):
    lead = make_lead(None, team=hot_team)
    record_event(lead, "lead.morning_queue", actor_label="routing")
    chat = Message.objects.get(channel="chat")
    assert chat.subject == f"Hot lead L-{lead.pk} waiting in the team's queue: nobody is available"


def test_the_team_message_is_posted_to_slack_with_lead_fields_as_text(settings, rep, hot_team, posted):
    settings.CHAT_TRANSPORT = "webhook"
    lead = make_lead(rep, team=hot_team, name="<!channel> " + XSS)
    [message] = [m for m in hot_lead_alerts(lead, rep.pk) if m.channel == "chat"]
    assert deliver_message(message.pk)
    [request] = posted
    assert request.full_url == SLACK and request.get_header("Content-type") == "application/json"
    text = json.loads(request.data)["text"]
    assert "&lt;!channel&gt;" in text and "<" not in text
    assert LeadEvent.objects.filter(lead=lead, kind="hot_alert.sent").count() == 1
    assert not deliver_message(message.pk)  # claimed once: never sent twice


def test_teams_webhooks_get_a_message_card():
    payload = WebhookChatTransport().payload(Outgoing(recipient=TEAMS, subject="Hot lead L-1", body="Name: <b>A</b>"))
    assert payload["@type"] == "MessageCard" and payload["text"] == "Name: &lt;b&gt;A&lt;/b&gt;"


def test_a_failing_webhook_is_retried_later(settings, rep, hot_team, monkeypatch):
    settings.CHAT_TRANSPORT = "webhook"

    def refuse(request):
        raise OSError("HTTP Error 500")

    monkeypatch.setattr(transports, "post", refuse)
    [message] = [m for m in hot_lead_alerts(make_lead(rep, team=hot_team), rep.pk) if m.channel == "chat"]
    assert not deliver_message(message.pk)
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1 and "HTTP Error 500" in message.error


def test_webhooks_must_use_https():
    with pytest.raises(TransportError):
        WebhookChatTransport().send(Outgoing(recipient="http://hooks.example/x", body="hi"))


def test_the_console_chat_transport_prints(settings, capsys):
    settings.CHAT_TRANSPORT = "console"
    transports.transport_for("chat").send(Outgoing(recipient=SLACK, subject="Hot lead L-9", body="Name: Ada"))
    assert "[chat to https://hooks.slack.com/" in capsys.readouterr().out


# --- the SLA watch ------------------------------------------------------------------------------------


def test_the_warning_comes_at_80_percent_of_the_time(rep):
    lead = make_lead(rep, at=TUESDAY_11_NY)  # hot: 3 minutes
    assert sla_warning_at(lead) == TUESDAY_11_NY + timedelta(minutes=2, seconds=24)


def test_an_after_hours_lead_is_warned_just_before_its_due_time_next_morning(rep):
    friday_evening = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Thursday 20:00 in New York
    due = datetime(2026, 11, 27, 14, 3, tzinfo=UTC)  # Friday 09:03
    lead = make_lead(rep, at=friday_evening, first_contact_due_at=due)
    assert sla_warning_at(lead) == due - timedelta(seconds=36)


def test_a_close_of_day_policy_warns_at_80_percent_of_the_wall_clock_time(rep):
    policy = SlaPolicy.objects.create(
        name="Trade show", first_contact_within=None, first_contact_by_close_of_day=True, position=99
    )
    start = datetime.combine(TUESDAY_11_NY.date(), time(14, 0), tzinfo=UTC)
    lead = make_lead(rep, at=start, first_contact_due_at=start + timedelta(hours=5), sla_policy=policy)
    assert sla_warning_at(lead) == start + timedelta(hours=4)


def test_the_watch_warns_then_flags_the_breach_once_each(rep, django_capture_on_commit_callbacks):
    lead = make_lead(rep, at=TUESDAY_11_NY)
    with django_capture_on_commit_callbacks():
        assert sla_watch(TUESDAY_11_NY + timedelta(minutes=2, seconds=20)) == {"sla_warnings": 0, "sla_breaches": 0}
        assert sla_watch(TUESDAY_11_NY + timedelta(minutes=2, seconds=25))["sla_warnings"] == 1
        assert sla_watch(TUESDAY_11_NY + timedelta(minutes=2, seconds=40))["sla_warnings"] == 0
        assert sla_watch(TUESDAY_11_NY + timedelta(minutes=3, seconds=1))["sla_breaches"] == 1
        assert sla_watch(TUESDAY_11_NY + timedelta(minutes=4)) == {"sla_warnings": 0, "sla_breaches": 0}
    kinds = list(LeadEvent.objects.filter(lead=lead, kind__startswith="sla.").values_list("kind", flat=True))
    assert kinds == ["sla.warning", "sla.breached"]
    warning = LeadEvent.objects.get(lead=lead, kind="sla.warning")
    assert warning.data["seconds_left"] == 35 and warning.data["owner_id"] == rep.pk


def test_the_watch_leaves_attempted_junk_and_old_leads_alone(rep):
    make_lead(rep, at=TUESDAY_11_NY, first_attempt_at=TUESDAY_11_NY + timedelta(minutes=1), stage="contacted")
    make_lead(rep, at=TUESDAY_11_NY, junk=True)
    make_lead(rep, at=TUESDAY_11_NY - timedelta(days=3))
    assert sla_watch(TUESDAY_11_NY + timedelta(minutes=10)) == {"sla_warnings": 0, "sla_breaches": 0}
