"""The rep's choice per channel (RepProfile.sms_alerts, push_alerts: all, hot only, none)
and one content for every alert beyond the page: the SMS and the web push carry the same
name, company, phone, source, temperature, deadline and link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from leads.models import LeadEvent, Message
from notifications.alerts import alert_content, alert_summary, hot_lead_alerts, sms_text
from tests.workspace_kit import TUESDAY_11_NY, make_lead, make_team, rep_profile
from webpush.delivery import payload

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"


@pytest.mark.parametrize(
    "choice, temperature, texted",
    [
        ("hot", "hot", True),
        ("hot", "warm", False),
        ("all", "warm", True),
        ("all", "cold", True),
        ("none", "hot", False),
    ],
)
def test_the_sms_follows_the_reps_choice(rep, choice, temperature, texted):
    rep_profile(rep, sms_phone="+14155550199", sms_alerts=choice)
    hot_lead_alerts(make_lead(rep, temperature=temperature), rep.pk)
    assert Message.objects.filter(channel="sms").exists() is texted


def test_no_sms_still_tells_the_team_about_a_hot_lead(rep, manager):
    rep_profile(rep, sms_phone="+14155550199", sms_alerts="none")
    team = make_team(manager=manager, members=[rep], webhook=SLACK)
    hot_lead_alerts(make_lead(rep, team=team), rep.pk)
    assert list(Message.objects.values_list("channel", flat=True)) == ["chat"]


def test_a_warm_lead_sms_is_sent_once_under_its_own_key(rep):
    rep_profile(rep, sms_phone="+14155550199", sms_alerts="all")
    lead = make_lead(rep, temperature="warm")
    hot_lead_alerts(lead, rep.pk)
    hot_lead_alerts(lead, rep.pk)
    message = Message.objects.get()
    assert message.dedupe_key == f"lead-sms:{lead.pk}:{rep.pk}" and message.purpose == "lead_alert"


def test_the_sms_and_the_push_carry_the_same_content_and_link(rep):
    rep_profile(rep, sms_phone="+14155550199", time_zone="Europe/London")
    with time_machine.travel(TUESDAY_11_NY, tick=False):
        lead = make_lead(rep, at=TUESDAY_11_NY, company="Analytical Engines")
        event = LeadEvent.objects.create(lead=lead, kind="lead.assigned", at=TUESDAY_11_NY, data={})
        [sms] = hot_lead_alerts(lead, rep.pk)
        push = json.loads(payload(event, "lead.assigned", "Europe/London", TUESDAY_11_NY))
        content = alert_content(lead, "lead.assigned", "Europe/London")
    summary = alert_summary(content)
    assert sms.body == f"New hot lead L-{lead.pk}: {summary}. Open: http://127.0.0.1:8000/leads/{lead.pk}/"
    assert push["body"] == summary and push["url"] == f"/leads/{lead.pk}/"
    for part in (lead.display_name, "Analytical Engines", "+14155550100", "Paid ads", "hot", "call by 16:03"):
        assert part in summary  # due 16:03 UTC is 16:03 in London in November
    assert (
        push["tel"] == "tel:+14155550100" and push["sla_due_at"] == (TUESDAY_11_NY + timedelta(minutes=3)).isoformat()
    )


def test_a_deadline_on_another_day_says_which(rep):
    with time_machine.travel(TUESDAY_11_NY, tick=False):
        lead = make_lead(rep, at=TUESDAY_11_NY, first_contact_due_at=TUESDAY_11_NY + timedelta(days=1))
        assert "call by Wed 25 Nov 11:00" in sms_text(lead, time_zone="America/New_York")


def test_a_rep_who_reads_malay_gets_the_sms_in_malay_and_the_push_in_their_language(rep):
    rep_profile(rep, sms_phone="+14155550199", time_zone="Europe/London", language="ms")
    with time_machine.travel(TUESDAY_11_NY, tick=False):
        lead = make_lead(rep, at=TUESDAY_11_NY, first_contact_due_at=TUESDAY_11_NY + timedelta(days=1))
        event = LeadEvent.objects.create(lead=lead, kind="lead.assigned", at=TUESDAY_11_NY, data={})
        [sms] = hot_lead_alerts(lead, rep.pk)
        push = json.loads(payload(event, "lead.assigned", "Europe/London", TUESDAY_11_NY, "id"))
    assert sms.body.startswith(f"Prospek panas baharu L-{lead.pk}: ")
    assert "hubungi sebelum Rab 25 Nov 16:00" in sms.body and sms.body.endswith(
        f"Buka: http://127.0.0.1:8000/leads/{lead.pk}/"
    )
    assert push["title"] == f"Prospek panas baru L-{lead.pk}: {lead.display_name}"
    assert "hubungi sebelum" in push["body"] and "call by" not in push["body"]
