"""import_leads and the admin upload: history kept as recorded, bad rows skipped with their
reasons, re-runs that add nothing, duplicates joined, unreadable files refused."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from leads import import_rows, importer
from leads.models import Attempt, Inquiry, Lead, Message
from reports import filters as report_filters
from reports import metrics
from routing.models import BusinessSchedule, Team

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
HEADER = (
    "email,phone,first_name,company,country,inquiry_type,source,submitted_at,owner_email,first_attempt_at,"
    "attempts,connected_at,connected_attempt,qualified_at,disqualified_at,converted_at"
)
ROWS = [
    # row 2: connected on the 3rd of 3 attempts, qualified then converted
    "ada@analytical.io,+1 212 555 0101,Ada,Analytical,US,demo_request,paid_ads,2026-10-05T10:00:00-04:00,"
    "rep.one@example.com,2026-10-05T10:02:00-04:00,3,2026-10-05T11:02:00-04:00,3,2026-10-05T11:30:00-04:00,,"
    "2026-10-09T12:00:00-04:00",
    # row 3: owner unknown
    "bob@builder.io,,Bob,Builder,US,pricing,organic,2026-10-06T10:00:00-04:00,ghost@example.com,,,,,,,",
    # row 4: attempt before submission, and a bad email
    "carl@,,Carl,C,US,pricing,organic,2026-10-07T10:00:00-04:00,,2026-10-07T09:00:00-04:00,,,,,,",
    # row 5: the same person as row 2, 3 days later: a repeat inquiry on the same lead
    "ADA@analytical.io,,Ada,Analytical,US,pricing,organic,2026-10-08T10:00:00-04:00,,,,,,,,",
    # row 6: never attempted, no owner
    "dan@dynamo.io,,Dan,Dynamo,US,webinar,organic,2026-10-10T10:00:00-04:00,,,,,,,,",
    # row 7: 5 attempts, none connected, disqualified three days later
    "eve@evergreen.io,+1 212 555 0199,Eve,Evergreen,US,demo_request,referral,2026-10-12T09:00:00-04:00,"
    "rep.one@example.com,2026-10-12T09:10:00-04:00,5,,,,2026-10-15T12:00:00-04:00,",
    # row 8: no submitted_at; row 9: both qualified and disqualified
    "fay@fable.io,,Fay,Fable,US,pricing,organic,,,,,,,,,",
    "gus@gusto.io,,Gus,Gusto,US,pricing,organic,2026-10-13T10:00:00-04:00,,2026-10-13T10:05:00-04:00,1,,,"
    "2026-10-13T11:00:00-04:00,2026-10-13T12:00:00-04:00,",
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def csv_file(tmp_path: Path, rep) -> Path:
    Team.objects.create(name="East", schedule=BusinessSchedule.objects.get(is_default=True)).members.add(rep)
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def run(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_history_as_recorded_and_explains_every_skipped_row(csv_file, rep):
    out, err = run(csv_file)
    assert out.splitlines()[0] == (
        "8 row(s) read: 3 lead(s) imported, 1 duplicate(s) added to earlier leads, 0 already imported, 4 skipped."
    )
    assert "row 3: owner_email: ghost@example.com matches no active user" in out
    assert "row 4: email: Enter a valid email address." in out
    assert "row 8: submitted_at: Required" in out
    assert "row 9: disqualified_at: Give qualified_at or disqualified_at, not both." in out
    assert "[" in err and "8/8 rows" in err  # the progress bar, on stderr

    ada = Lead.objects.get(email="ada@analytical.io")
    assert ada.submitted_at == datetime(2026, 10, 5, 14, tzinfo=UTC)
    assert ada.first_attempt_at == datetime(2026, 10, 5, 14, 2, tzinfo=UTC)
    assert ada.first_connected_at == datetime(2026, 10, 5, 15, 2, tzinfo=UTC)
    assert ada.decided_at == datetime(2026, 10, 5, 15, 30, tzinfo=UTC)
    assert ada.converted_at == datetime(2026, 10, 9, 16, tzinfo=UTC) and ada.stage == "converted"
    assert ada.owner == rep and ada.team.name == "East" and ada.lead_source.slug == "import"
    assert ada.route_after is None and ada.acknowledged_at is None and ada.first_contact_due_at is not None
    attempts = list(ada.attempts.values_list("number", "outcome", "at"))
    assert attempts == [
        (1, "no_answer", datetime(2026, 10, 5, 14, 2, tzinfo=UTC)),
        (2, "no_answer", datetime(2026, 10, 5, 14, 32, tzinfo=UTC)),  # evenly between the two known times
        (3, "connected", datetime(2026, 10, 5, 15, 2, tzinfo=UTC)),
    ]
    inquiries = list(ada.inquiries.values_list("is_duplicate", "ack_state"))
    assert inquiries == [(False, "skipped"), (True, "skipped")]  # row 5 joined Ada's lead
    assert not Message.objects.exists()  # nothing was acknowledged or sent
    dan = Lead.objects.get(email="dan@dynamo.io")
    assert dan.stage == "new" and dan.owner is None and not dan.attempts.exists()


def test_attempts_after_the_last_known_time_follow_the_cadence_gaps(csv_file):
    run(csv_file)
    eve = Lead.objects.get(email="eve@evergreen.io")
    start = datetime(2026, 10, 12, 13, 10, tzinfo=UTC)
    gaps = [timedelta(0), timedelta(minutes=7), timedelta(minutes=27), timedelta(hours=4, minutes=27),
            timedelta(days=1, hours=4, minutes=27)]  # fmt: skip
    assert list(eve.attempts.values_list("at", flat=True)) == [start + gap for gap in gaps]
    assert set(eve.attempts.values_list("outcome", flat=True)) == {"no_answer"}
    assert eve.stage == "disqualified" and eve.decided_at == datetime(2026, 10, 15, 16, tzinfo=UTC)


def test_a_rerun_adds_nothing(csv_file):
    run(csv_file)
    counts = (Lead.objects.count(), Inquiry.objects.count(), Attempt.objects.count())
    out, _ = run(csv_file)
    assert "0 lead(s) imported, 0 duplicate(s) added to earlier leads, 4 already imported, 4 skipped." in out
    assert (Lead.objects.count(), Inquiry.objects.count(), Attempt.objects.count()) == counts


def test_an_external_id_is_the_identity_of_a_row(tmp_path, rep):
    path = tmp_path / "ids.csv"
    path.write_text(
        "external_id,email,submitted_at\n"
        "crm-1,zed@zeta.io,2026-10-01T10:00:00Z\n"
        "crm-1,zed.other@zeta.io,2026-10-02T10:00:00Z\n",
        encoding="utf-8",
    )
    out, _ = run(path, "--no-progress")
    assert "1 lead(s) imported" in out and "1 already imported" in out
    assert Inquiry.objects.get().external_id == "crm-1"


def test_a_row_that_fails_while_written_never_stops_the_others(csv_file, monkeypatch):
    original = importer.Importer._apply_history

    def explode(self, lead, row):
        if lead.email == "dan@dynamo.io":
            raise RuntimeError("disk on fire")
        original(self, lead, row)

    monkeypatch.setattr(importer.Importer, "_apply_history", explode)
    out, _ = run(csv_file, "--no-progress")
    assert "row 6: could not be stored: RuntimeError: disk on fire" in out
    assert "2 lead(s) imported" in out
    assert not Lead.objects.filter(email="dan@dynamo.io").exists()
    assert Lead.objects.filter(email="eve@evergreen.io").exists()


def test_imported_history_shows_in_the_metrics(csv_file):
    run(csv_file)
    filters, _ = report_filters.parse_filters({})
    body = metrics.sla_metrics(filters)
    assert body["leads"] == 3  # Ada (with row 5 as her repeat inquiry), Dan, Eve
    assert body["time_to_first_response"]["median"] == 360.0  # Ada 120 s, Eve 600 s
    assert body["conversion_by_bucket"]["0-5m"] == {"leads": 1, "converted": 1, "rate": 1.0}  # Ada converted
    assert body["conversion_by_bucket"]["never_attempted"]["leads"] == 1  # Dan
    assert body["contact_rate_by_attempt"] == {"1": 0.0, "2": 0.0, "3": 0.5, "4": 0.0, "5": 0.0}
    assert [(rep["rep"], rep["leads"], rep["median"]) for rep in body["reps"]] == [("rep.one", 2, 360.0)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"name,city\nAda,Paris\n", "must name a submitted_at column"),
    ],
)
def test_an_unreadable_file_is_refused_with_a_sentence(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)


def test_a_missing_file_exits_non_zero_with_a_sentence(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "import_leads", str(tmp_path / "nowhere.csv")],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "nowhere.csv does not exist." in done.stderr


@pytest.mark.parametrize(
    ("count", "connected_number", "limit", "expected_minutes"),
    [
        (1, None, 600, [0]),
        (3, 3, 600, [0, 30, 60]),  # connected at +60 min on the 3rd: the 2nd halfway
        (3, None, 600, [0, 7, 27]),  # cadence gaps
        (4, None, 100, [0, 25, 50, 75]),  # the gaps would pass the decision at +100: spread evenly before it
    ],
)
def test_attempt_times_follow_the_documented_rule(count, connected_number, limit, expected_minutes):
    first = datetime(2026, 10, 1, 12, tzinfo=UTC)
    connected = first + timedelta(minutes=60) if connected_number else None
    times = import_rows.attempt_times(count, first, connected, connected_number, first + timedelta(minutes=limit))
    assert [(moment - first) / timedelta(minutes=1) for moment in times] == expected_minutes


def test_managers_import_from_the_admin(client, manager, rep):
    client.force_login(manager)
    changelist = client.get("/admin/leads/lead/")
    assert b"/dashboard/import/" in changelist.content  # the link on the Lead changelist
    upload = SimpleUploadedFile("leads.csv", "\n".join([HEADER, ROWS[0], ROWS[1]]).encode(), content_type="text/csv")
    response = client.post("/dashboard/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 lead(s) imported" in html and "ghost@example.com matches no active user" in html
    assert Lead.objects.filter(email="ada@analytical.io").exists()


def test_uploading_the_same_file_again_in_the_admin_adds_nothing(client, manager, csv_file):
    client.force_login(manager)
    first = client.post("/dashboard/import/", {"file": SimpleUploadedFile("history.csv", csv_file.read_bytes())})
    assert "3 lead(s) imported, 1 duplicate(s) added to earlier leads, 0 already imported" in first.content.decode()
    counts = (Lead.objects.count(), Inquiry.objects.count(), Attempt.objects.count())
    again = client.post("/dashboard/import/", {"file": SimpleUploadedFile("copy.csv", csv_file.read_bytes())})
    html = again.content.decode()
    assert "0 lead(s) imported, 0 duplicate(s) added to earlier leads, 4 already imported, 4 skipped" in html
    assert "<td>3</td><td>owner_email: ghost@example.com matches no active user" in html  # reasons per row
    assert (Lead.objects.count(), Inquiry.objects.count(), Attempt.objects.count()) == counts


def test_the_admin_import_refuses_an_unreadable_file(client, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("leads.csv", b"\xff\xfe\x00", content_type="text/csv")
    response = client.post("/dashboard/import/", {"file": upload})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()


def test_only_managers_may_import(client, rep, leader):
    rep.is_staff = True  # even a staff rep is not a manager
    rep.save()
    client.force_login(rep)
    assert client.get("/dashboard/import/").status_code == 403
