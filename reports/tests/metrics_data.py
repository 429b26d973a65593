"""A hand-built set of leads for the metrics tests; every expected figure is worked out by
hand in EXPECTED (times in New York, EST = UTC-5; "now" is Tuesday 2026-11-17 10:00).

    lead  temp  submitted      first attempt   response   due          assigned  ack   stage         owner
    L1    hot   Mon 10:00      Mon 10:02       120 s      10:03 met    +20 s     +5 s  qualified     rep.one
    L2    hot   Mon 11:00      Mon 11:02       120 s tie  11:03 met    +40 s     +10 s connected     rep.one
    L3    warm  Mon 12:00      Mon 12:10       600 s      12:15 met    +60 s     +5 s  disqualified  rep.two  (paid_ads)
    L4    cold  Mon 13:00      Mon 13:30       1800 s     17:00 met    +120 s    none  converted     rep.two
    L5    hot   Mon 14:00      Mon 16:00       7200 s     14:03 missed +30 s     +5 s  contacted     rep.two
    L6    hot   Fri 20:00      Mon 09:02       219720 s   Mon 09:03    Mon 09:00:30 +8 s qualified    rep.one
                (after hours: 120 business seconds)
    L7    hot   Mon 15:00      never           -          15:03 passed +10 s     +5 s  assigned      rep.one
    L8    cold  Tue 09:30      never           -          13:30 not yet  -       +6 s  new           -
    L9    junk: excluded everywhere (it would change every figure).
    L1 also has a repeat inquiry (is_duplicate): it is not a lead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from leads.models import Attempt, Inquiry, Lead

NY = ZoneInfo("America/New_York")


def ny(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=NY)


NOW = ny(17, 10)
S = timedelta(seconds=1)

EXPECTED = {
    "leads": 8,  # L1-L8
    "time_to_first_response": {
        # 120, 120, 600, 1800, 7200, 219720: sum 229560 / 6
        "mean": 38260.0,
        # n = 6, position 0.5 x 5 = 2.5: (600 + 1800) / 2
        "median": 1200.0,
        # position 0.9 x 5 = 4.5: 7200 + 0.5 x (219720 - 7200)
        "p90": 113460.0,
        # business seconds 120, 120, 600, 1800, 7200, 120 (L6: Mon 09:00-09:02): 9960 / 6
        "business_mean": 1660.0,
    },
    # due: the 6 attempted + L7 (due passed, never attempted); L8 is not due yet.
    # met: L1, L2, L3, L4, L6 (L5 late).
    "within_sla": {"rate": 0.7143, "met": 5, "due": 7},
    # 20, 40, 60, 120, 30, 219630 (L6: Fri 20:00 -> Mon 09:00:30), 10: sum 219910 / 7;
    # p95: sorted 10 20 30 40 60 120 219630, position 0.95 x 6 = 5.7: 120 + 0.7 x 219510
    "assignment_latency": {"mean": 31415.714, "p95": 153777.0},
    # 5, 10, 5, 5, 8, 5, 6 (L4 never acknowledged): 44 / 7; p95: sorted 5 5 5 5 6 8 10 -> 8 + 0.7 x 2
    "acknowledgment_latency": {"mean": 6.286, "p95": 9.4},
    # attempt 1: L1-L6 had one, L1 first connected on it: 1/6. Attempt 2: L1, L2, L4, L6 had
    # one; L2 and L6 first connected on it (L1's second connect is not its first): 2/4.
    # Attempt 3: L4 only, replied: 1/1.
    "contact_rate_by_attempt": {"1": 0.1667, "2": 0.5, "3": 1.0},
    "conversion_by_bucket": {
        "0-5m": {"leads": 2, "converted": 1, "rate": 0.5},  # L1 qualified, L2 connected
        "5-15m": {"leads": 1, "converted": 0, "rate": 0.0},  # L3 disqualified
        "15-60m": {"leads": 1, "converted": 1, "rate": 1.0},  # L4 converted
        "60m+": {"leads": 2, "converted": 1, "rate": 0.5},  # L5 contacted, L6 qualified
        "never_attempted": {"leads": 2, "converted": 0, "rate": 0.0},  # L7, L8
    },
    # decided - first attempt: L1 1680, L3 3600, L4 1800 (converted, no earlier decision), L6 1080
    "time_to_qualification": {"mean": 2040.0, "median": 1740.0},
    "reps": [
        # rep.one: L1, L2, L6, L7; responses 120, 120, 219720 -> median 120; met 3 of due 4
        {"rep": "rep.one", "leads": 4, "median": 120.0, "within_sla_rate": 0.75},
        # rep.two: L3, L4, L5; responses 600, 1800, 7200 -> median 1800; met 2 of 3
        {"rep": "rep.two", "leads": 3, "median": 1800.0, "within_sla_rate": 0.6667},
    ],
}


def make_lead(
    lead_source, label: str, *, submitted: datetime, temperature: str = "hot", due: datetime | None = None,
    attempts: tuple = (), assigned: datetime | None = None, acknowledged: datetime | None = None,
    decided: datetime | None = None, converted: datetime | None = None, stage: str = "new", owner=None,
    junk: bool = False, source: str = "organic", team=None,
) -> Lead:  # fmt: skip
    """A lead with its attempts: `attempts` is ((outcome, at), ...), numbered from 1."""
    reached = [at for outcome, at in attempts if outcome in ("connected", "replied")]
    lead = Lead.objects.create(
        lead_source=lead_source, email=f"{label.lower()}@example.com", first_name=label, source=source,
        inquiry_type="demo_request", temperature=temperature, resolved_time_zone="America/New_York", country="US",
        submitted_at=submitted, received_at=submitted, first_contact_due_at=due,
        first_attempt_at=attempts[0][1] if attempts else None, first_connected_at=reached[0] if reached else None,
        assigned_at=assigned, acknowledged_at=acknowledged, decided_at=decided, converted_at=converted, stage=stage,
        owner=owner, junk=junk, team=team,
    )  # fmt: skip
    for number, (outcome, at) in enumerate(attempts, start=1):
        channel = "email" if outcome in ("sent", "replied") else "call"
        Attempt.objects.create(lead=lead, number=number, channel=channel, outcome=outcome, at=at, by=owner)
    return lead


def build(lead_source, rep_one, rep_two, team=None) -> dict[str, Lead]:
    leads = {
        "L1": make_lead(
            lead_source, "L1", submitted=ny(16, 10), due=ny(16, 10, 3), owner=rep_one, stage="qualified",
            attempts=(("connected", ny(16, 10, 2)), ("connected", ny(16, 10, 20))),
            assigned=ny(16, 10) + 20 * S, acknowledged=ny(16, 10) + 5 * S, decided=ny(16, 10, 30), team=team,
        ),
        "L2": make_lead(
            lead_source, "L2", submitted=ny(16, 11), due=ny(16, 11, 3), owner=rep_one, stage="connected",
            attempts=(("no_answer", ny(16, 11, 2)), ("connected", ny(16, 11, 9))),
            assigned=ny(16, 11) + 40 * S, acknowledged=ny(16, 11) + 10 * S, team=team,
        ),
        "L3": make_lead(
            lead_source, "L3", submitted=ny(16, 12), temperature="warm", due=ny(16, 12, 15), owner=rep_two,
            stage="disqualified", attempts=(("voicemail", ny(16, 12, 10)),), source="paid_ads",
            assigned=ny(16, 12, 1), acknowledged=ny(16, 12) + 5 * S, decided=ny(16, 13, 10),
        ),
        "L4": make_lead(
            lead_source, "L4", submitted=ny(16, 13), temperature="cold", due=ny(16, 17), owner=rep_two,
            stage="converted", attempts=(("no_answer", ny(16, 13, 30)), ("no_answer", ny(16, 13, 40)),
                                         ("replied", ny(16, 13, 50))),
            assigned=ny(16, 13, 2), decided=ny(16, 14), converted=ny(16, 14),
        ),
        "L5": make_lead(
            lead_source, "L5", submitted=ny(16, 14), due=ny(16, 14, 3), owner=rep_two, stage="contacted",
            attempts=(("no_answer", ny(16, 16)),), assigned=ny(16, 14) + 30 * S, acknowledged=ny(16, 14) + 5 * S,
        ),
        "L6": make_lead(
            lead_source, "L6", submitted=ny(13, 20), due=ny(16, 9, 3), owner=rep_one, stage="qualified",
            attempts=(("no_answer", ny(16, 9, 2)), ("connected", ny(16, 9, 10))),
            assigned=ny(16, 9) + 30 * S, acknowledged=ny(13, 20) + 8 * S, decided=ny(16, 9, 20), team=team,
        ),
        "L7": make_lead(
            lead_source, "L7", submitted=ny(16, 15), due=ny(16, 15, 3), owner=rep_one, stage="assigned",
            assigned=ny(16, 15) + 10 * S, acknowledged=ny(16, 15) + 5 * S, team=team,
        ),
        "L8": make_lead(
            lead_source, "L8", submitted=ny(17, 9, 30), temperature="cold", due=ny(17, 13, 30),
            acknowledged=ny(17, 9, 30) + 6 * S,
        ),
        "L9": make_lead(
            lead_source, "L9", submitted=ny(16, 10, 30), due=ny(16, 10, 33), owner=rep_one, stage="qualified",
            attempts=(("connected", ny(16, 10, 31)),), assigned=ny(16, 10, 30), acknowledged=ny(16, 10, 30),
            decided=ny(16, 10, 40), junk=True,
        ),
    }  # fmt: skip
    Inquiry.objects.create(
        lead=leads["L1"], lead_source=lead_source, inquiry_type="pricing", source="organic",
        submitted_at=ny(16, 12), is_duplicate=True, ack_state="skipped",
    )  # fmt: skip
    return leads
