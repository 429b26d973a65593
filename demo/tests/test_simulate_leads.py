"""simulate_leads and demo/simulation.py: valid, varied payloads; posted at the rate to a
live server; one sentence and an exit status when it cannot feed the server."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from demo import simulation
from demo.simulation import LeadGenerator, Reply
from leads.choices import InquiryType, Source
from leads.intake import clean_submission
from leads.models import IntakeKey, Lead
from leads.scoring import TEMPERATURE_BY_INQUIRY

ROOT = Path(__file__).resolve().parents[2]


def simulate(*args) -> str:
    out = io.StringIO()
    call_command("simulate_leads", *args, stdout=out)
    return out.getvalue()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestGenerator:
    def test_it_yields_payloads_the_intake_accepts(self):
        payloads = LeadGenerator(seed=5).payloads(400)
        for payload in payloads:
            submission, errors = clean_submission(payload, default_source="organic", allows_source=lambda s: True)
            assert not errors, (payload, errors)
            assert submission.email and submission.timezone
        assert len({payload["email"] for payload in payloads}) == len(payloads)
        phones = [payload["phone"] for payload in payloads if "phone" in payload]
        assert len(set(phones)) == len(phones) and len(phones) > 250

    def test_it_mixes_temperatures_countries_time_zones_sources_and_consents(self):
        payloads = LeadGenerator(seed=11).payloads(400)
        temperatures = Counter(TEMPERATURE_BY_INQUIRY[InquiryType(p["inquiry_type"])] for p in payloads)
        assert all(temperatures[t] >= 50 for t in ("hot", "warm", "cold")), temperatures
        assert len({p["country"] for p in payloads}) >= 6
        assert len({p["timezone"] for p in payloads}) >= 8
        assert {p["source"] for p in payloads} == set(Source.values) - {"partner", "other"}
        assert {p["consent_email"] for p in payloads} == {True, False}
        assert {p.get("consent_sms") for p in payloads} == {True, False, None}
        assert sum(bool(p.get("company")) for p in payloads) > 150
        assert sum(bool(p["message"]) for p in payloads) > 150

    def test_the_same_seed_gives_the_same_leads_and_a_source_can_be_fixed(self):
        assert LeadGenerator(seed=3).payloads(20) == LeadGenerator(seed=3).payloads(20)
        assert {p["source"] for p in LeadGenerator(seed=3, source="paid_ads").payloads(30)} == {"paid_ads"}

    def test_its_phone_numbers_are_in_the_ranges_reserved_for_fiction(self):
        for payload in LeadGenerator(seed=8).payloads(300):
            digits = "".join(c for c in payload.get("phone", "") if c.isdigit())
            if not digits:
                continue
            if payload["country"] in ("US", "CA"):
                assert digits[-7:-2] == "55501", payload["phone"]
            elif payload["country"] == "GB":
                assert any(r in digits for r in ("4960", "4980", "20180", "96496")), payload["phone"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # flushing drops the seeded groups
@pytest.mark.usefixtures("redis_down")  # intake stores the lead without Redis; routing is not under test
class TestAgainstALiveServer:
    def test_it_posts_the_leads_at_about_the_rate(self, live_server, intake_key):
        started = time.monotonic()
        out = simulate("--url", live_server.url, "--key", intake_key, "--rate", "20", "--count", "8", "--seed", "1")
        seconds = time.monotonic() - started
        assert Lead.objects.count() == 8
        assert Lead.objects.filter(extra__simulated=True).count() == 8
        assert 7 / 20 <= seconds < 3.0
        assert "8/8 sent" in out and "201 created: 8" in out and "no reply: 0" in out

    def test_without_a_key_it_creates_one_for_the_demo_source_and_says_so(self, live_server):
        out = simulate("--url", live_server.url, "--rate", "50", "--count", "3")
        key = IntakeKey.objects.get(label="simulate_leads")
        assert key.lead_source.name == "Website" and key.requests_per_minute >= 1200
        assert f"created intake key {key.prefix}… for the lead source 'Website'" in out
        assert Lead.objects.filter(inquiries__lead_source=key.lead_source).distinct().count() == 3

    def test_a_refused_key_stops_at_once_with_a_sentence_and_status_2(self, live_server):
        with pytest.raises(CommandError, match=r"refused the intake key \(401\)") as caught:
            simulate("--url", live_server.url, "--key", "lo_nope", "--rate", "50", "--count", "20")
        assert caught.value.returncode == 2
        assert Lead.objects.count() == 0


class TestWithAStubbedHttpEdge:
    def stub(self, monkeypatch, statuses):
        calls = []

        def post_lead(url, key, payload, timeout):
            calls.append(time.monotonic())
            status = statuses[(len(calls) - 1) % len(statuses)]
            body = {"id": len(calls), "temperature": "hot"} if status in (200, 201) else {"errors": {"email": ["Bad."]}}
            return Reply(status, body)

        monkeypatch.setattr("demo.management.commands.simulate_leads.post_lead", post_lead)
        return calls

    def test_it_paces_the_sends_by_the_clock(self, monkeypatch):
        calls = self.stub(monkeypatch, [201])
        out = simulate("--key", "k", "--rate", "40", "--count", "21")
        assert len(calls) == 21
        assert 0.5 <= calls[-1] - calls[0] <= 0.8
        # Lead i leaves at i / rate after the first, never before (late by a thread switch at most).
        assert all(at - calls[0] >= i / 40 - 0.005 for i, at in enumerate(calls))
        assert "201 created: 21" in out and "(asked 40/s)" in out

    def test_rejected_leads_give_a_summary_and_status_1(self, monkeypatch):
        self.stub(monkeypatch, [201, 201, 400])
        out = io.StringIO()
        with pytest.raises(CommandError, match=r"3 of 9 leads were not accepted: 3 x 400 email: Bad\.") as caught:
            call_command("simulate_leads", "--key", "k", "--rate", "100", "--count", "9", stdout=out)
        assert caught.value.returncode == 1
        assert "201 created: 6" in out.getvalue() and "4xx: 3" in out.getvalue()

    def test_a_server_that_goes_away_stops_the_run(self, monkeypatch):
        calls = self.stub(monkeypatch, [201] * 3 + [0] * 100)
        with pytest.raises(CommandError, match="Cannot reach LeadOps") as caught:
            simulate("--key", "k", "--rate", "200", "--count", "100")
        assert caught.value.returncode == 2 and len(calls) < 20


def test_an_unreachable_server_gives_one_sentence_and_status_2_without_a_traceback():
    port = closed_port()
    done = subprocess.run(
        [sys.executable, "manage.py", "simulate_leads", "--url", f"http://127.0.0.1:{port}", "--key", "k"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"CommandError: Cannot reach LeadOps at http://127.0.0.1:{port} ([Errno 111] Connection refused):"
        " start it (make run) or give --url."
    ]


def test_post_lead_reports_a_closed_port_as_unreachable():
    reply = simulation.post_lead(f"http://127.0.0.1:{closed_port()}", "k", {}, timeout=2)
    assert reply.status == 0 and reply.unreachable and not reply.accepted
