"""Fuzzing the public booking endpoints (no login: the signed link is the key) and the rep's
meeting actions: any token, method and body gets a clear 4xx (or a booking), never a 500.

`HYPOTHESIS_PROFILE=thorough` runs many more examples (leads/tests/fuzzing.py)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.models import Meeting
from booking.tests.conftest import ny
from leadops.booking_links import SALT, booking_token
from leads.tests.fuzzing import examples
from leads.tests.test_intake_fuzz import ODD_TEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]
GOOD_STARTS = [ny(23, hour, minute).isoformat() for hour in (9, 10, 15, 16) for minute in (0, 30)]
STARTS = st.one_of(
    st.sampled_from(GOOD_STARTS),
    st.sampled_from(ODD_TEXT),
    st.text(max_size=60),
    st.datetimes().map(lambda moment: moment.isoformat() + "+00:00"),
    st.integers(1, 100_000).map(lambda size: "2" * size),
)


def tokens(lead_id: int):
    good = booking_token(lead_id)
    return st.one_of(
        st.just(good),
        st.just(good[:-1] + ("A" if good[-1] != "A" else "B")),
        st.just(signing.dumps(lead_id + 10_000, salt=SALT)),
        st.just(signing.dumps({"lead": lead_id}, salt=SALT)),
        st.sampled_from(ODD_TEXT),
        st.text(min_size=1, max_size=200),
    )


@st.composite
def calls(draw, lead_id: int) -> dict:
    token = quote(draw(tokens(lead_id)), safe="") or "x"
    path = draw(st.sampled_from(["", "cancel/", "slots.json"]))
    fields = {"start": draw(STARTS)}
    if draw(st.booleans()):
        fields["from"] = draw(st.sampled_from(["thank_you", "", "x" * 500]))
    if draw(st.booleans()):
        fields["reason"] = draw(st.text(max_size=2000))
    shape = draw(st.sampled_from(["form", "form", "json", "bytes"]))
    if shape == "form":
        content_type, data = "application/x-www-form-urlencoded", urlencode(fields).encode("utf-8", "surrogatepass")
    elif shape == "json":
        content_type, data = "application/json", json.dumps(fields).encode("utf-8", "surrogatepass")
    else:
        content_type, data = (
            draw(st.sampled_from(["multipart/form-data", "text/plain", ""])),
            draw(st.binary(max_size=200)),
        )
    method = draw(st.sampled_from(["POST"] * 6 + ["GET", "GET", "HEAD", "PUT", "DELETE"]))
    return {"method": method, "path": f"/book/{token}/{path}", "data": data, "content_type": content_type}


@given(data=st.data())
@settings(max_examples=examples(200))
def test_the_public_booking_endpoints_never_fail(lead, clock, data):
    call = data.draw(calls(lead.pk))
    response = Client().generic(call["method"], call["path"], data=call["data"], content_type=call["content_type"])
    assert response.status_code < 500, (call, response.content[:300])
    assert response.status_code in (200, 302, 400, 404, 405, 409, 410), (call, response.status_code)
    ours = "%2F" not in call["path"]  # an encoded slash is a path of another route (Django's 404 page)
    if (
        ours
        and call["path"].endswith("slots.json")
        and call["method"] in ("GET", "HEAD")
        and response.status_code != 200
    ):
        assert response["Content-Type"] == "application/json"
    booked = list(Meeting.objects.filter(status="booked").values_list("starts_at", flat=True))
    assert len(booked) <= 1  # one lead, at most one meeting that is not over


@given(
    action=st.sampled_from(["reschedule", "cancel", "attendance"]),
    fields=st.dictionaries(st.sampled_from(["start", "attendance", "reason"]), STARTS, max_size=3),
    meeting_id=st.one_of(st.just(0), st.integers(-5, 10**12)),
)
@settings(max_examples=examples(60))
def test_the_reps_meeting_actions_never_fail(
    lead, rep, clock, action, fields, meeting_id, django_capture_on_commit_callbacks
):
    from booking import actions

    meeting = Meeting.objects.filter(lead=lead, status="booked").first()
    if meeting is None:
        with django_capture_on_commit_callbacks(execute=True):
            meeting = actions.book(lead.pk, ny(23, 10))
    client = Client()
    client.force_login(rep)
    target = meeting.pk if meeting_id == 0 else meeting_id
    if target < 0:
        return  # not a URL the routes match
    response = client.post(
        f"/leads/{lead.pk}/meetings/{target}/{action}/",
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )
    has_nul = any("\x00" in str(value) for value in fields.values())
    refused_by_the_nul_guard = response.status_code == 400 and has_nul
    assert response.status_code in (302, 404) or refused_by_the_nul_guard, response.status_code  # leadops/middleware.py


def test_a_nul_in_the_token_of_the_slots_json_gets_a_json_400(lead):
    """Found by the fuzz test above: the site-wide NUL guard answered the JSON endpoint in
    plain text."""
    response = Client().get("/book/%00/slots.json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {"errors": {"path": ["Must not contain NUL characters."]}}
