"""Routing endpoints: availability, accept, hand over; who may call them."""

from __future__ import annotations

from datetime import date

import pytest

from routing.models import LeavePeriod, RepProfile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]


def test_a_rep_sets_their_own_status(client, reps):
    client.force_login(reps[0])
    response = client.post("/api/v1/me/status", {"status": "away"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "away"
    profile = RepProfile.objects.get(user=reps[0])
    assert profile.status == "away" and profile.status_changed_at is not None
    assert client.get("/api/v1/me/status").json()["status"] == "away"


def test_a_bad_status_gets_a_field_error(client, reps):
    client.force_login(reps[0])
    response = client.post("/api/v1/me/status", {"status": "asleep"}, content_type="application/json")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_status_needs_a_logged_in_user(client):
    assert client.post("/api/v1/me/status", {"status": "away"}, content_type="application/json").status_code in (
        401,
        403,
    )


def test_the_owner_accepts_a_lead_and_others_cannot(client, reps, make_lead, leader):
    lead = make_lead(owner=reps[0], stage="assigned", route_after=None)
    client.force_login(reps[1])
    assert client.post(f"/api/v1/leads/{lead.pk}/accept").status_code == 404  # not theirs: invisible
    client.force_login(leader)
    assert client.post(f"/api/v1/leads/{lead.pk}/accept").status_code == 403  # leadership reads only
    client.force_login(reps[0])
    response = client.post(f"/api/v1/leads/{lead.pk}/accept")
    assert response.status_code == 200 and response.json()["accepted_at"]
    assert lead.events.filter(kind="lead.accepted").count() == 1


def test_a_rep_hands_a_lead_to_a_colleague(client, reps, make_lead):
    lead = make_lead(owner=reps[0], stage="assigned", route_after=None)
    client.force_login(reps[0])
    response = client.post(f"/api/v1/leads/{lead.pk}/handover", {"to": "ben"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["owner"] == "ben"
    event = lead.events.get(kind="lead.handed_over")
    assert (event.data["previous_owner"], event.data["owner"], event.actor) == ("ava", "ben", reps[0])
    assert client.get(f"/api/v1/leads/{lead.pk}").status_code == 404  # no longer ava's


def test_a_handover_to_someone_on_leave_or_unknown_is_refused(client, reps, make_lead):
    lead = make_lead(owner=reps[0], stage="assigned", route_after=None)
    LeavePeriod.objects.create(rep=reps[1].rep_profile, starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1))
    client.force_login(reps[0])
    for target, message in (("ben", "That rep is on leave."), ("nobody", "No active rep with that username.")):
        response = client.post(f"/api/v1/leads/{lead.pk}/handover", {"to": target}, content_type="application/json")
        assert response.status_code == 400 and response.json()["errors"]["to"] == [message]


def test_the_lead_api_shows_the_routing_trace(client, reps, rule, make_lead, now, team):
    from routing.assignment import assign_lead

    lead = make_lead()
    assign_lead(lead.pk, at=now)
    client.force_login(reps[0])
    body = client.get(f"/api/v1/leads/{lead.pk}").json()
    assert body["owner"]["username"] == "ava"
    assert body["routing_trace"]["rule"]["name"] == "Everything to East"
    assert [row["rep"] for row in body["routing_trace"]["candidates"]] == ["ava", "ben", "cleo"]
