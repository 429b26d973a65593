"""The two weeks of history `seed_demo` creates (demo/seed.py calls `History.build`).

History is built, not replayed through `lead_intake`: that function stamps leads with the
present time and queues a real acknowledgment for each, and history must send nothing.
So each historical lead goes through the intake's own validation (`clean_submission`)
and lead builder (enrichment, score, temperature, time zone, SLA due times computed at
its past submission time), and what happened next — acknowledgment, assignment,
attempts, stage changes, timeline events — is written with bulk_create. No Message row
is created and every inquiry ends acknowledged or skipped, so the sweeper finds nothing.

Owners come from the demo's routing rules (demo/history_routing.py `HistoryRouter`), in the
order the assignments happened; each owned lead gets its owner's team and a small routing
trace marked "historical". No lead is left due for routing or reassignment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from demo.cast import EAST, EMEA, SOURCES, TEAMS, Rep, TeamSpec, demo_intake_key
from demo.data import (
    DISPOSABLE,
    DISQUALIFIED_REASONS,
    EMEA_CITIES,
    QUALIFIED_REASONS,
    US_CITIES,
    WEEKDAY_HOURS,
    WEEKEND_HOURS,
)
from demo.history_routing import HistoryRouter
from demo.people import DemoPeople, ascii_name, log_uniform
from leadops.timezones import zone
from leads.acknowledgments import skip_reason
from leads.actions import build_lead  # the intake's lead builder, without its side effects
from leads.choices import AckState, AttemptChannel, AttemptOutcome, Stage
from leads.intake import clean_submission
from leads.models import Attempt, Inquiry, Lead, LeadEvent, LeadSource
from leads.sla import BusinessCalendar, add_business_time, calendar_from_schedule, is_open
from routing.models import BusinessSchedule, Team

SECOND, MINUTE, HOUR, DAY = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# The conversion buckets of SPEC §4: [0, 5 min), [5, 15 min), [15, 60 min), [60 min, ∞).
RESPONSE_BUCKETS = (5 * MINUTE, 15 * MINUTE, HOUR, timedelta.max)
# Gaps after the previous attempt (the default hot cadence, SPEC §3.7), in business time.
ATTEMPT_GAPS = (7 * MINUTE, 20 * MINUTE, 4 * HOUR, 8 * HOUR, 8 * HOUR, 8 * HOUR)


@dataclass
class _Plan:
    """One historical lead before it is saved: the lead, its acknowledgment, and the
    events and attempts that followed (events hold the unsaved lead until bulk_create)."""

    lead: Lead
    actor_label: str
    ack_channels: list[str]
    ack_skipped: str  # why no acknowledgment went out, in the acknowledgment job's words
    events: list[LeadEvent] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    inquiry: Inquiry | None = None
    repeat: Inquiry | None = None


class History:
    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        users: dict[str, User],
        teams: dict[str, Team],
        sources: list[LeadSource],
    ):
        self.rng, self.now = rng, now
        self.reps = {rep.username: (rep, users[rep.username]) for spec in TEAMS for rep in spec.reps}
        self.sources = {spec.slug: source for spec, source in zip(SOURCES, sources, strict=True)}
        self.actor_labels = {
            spec.slug: f"hosted form {spec.slug}"
            if spec.slug in ("website", "shop", "events")
            else f"intake key {demo_intake_key(spec.slug)[:10]}…"
            for spec in SOURCES
        }
        schedules = BusinessSchedule.objects.prefetch_related("hours", "closed_days")
        self.schedules = {spec.name: schedules.get(pk=teams[spec.name].schedule_id) for spec in TEAMS}
        self.calendars: dict[tuple[str, str], BusinessCalendar] = {}
        self.rotation = {spec.name: 0 for spec in TEAMS}
        self.teams = teams
        self.router = HistoryRouter(users, teams, TEAMS)
        self.people = DemoPeople(rng)  # draws from rng here, as before: the same seed, the same people

    def _submitted_at(self, day: date, tz: ZoneInfo, slug: str) -> datetime:
        weights = WEEKDAY_HOURS if day.weekday() < 5 else WEEKEND_HOURS
        hour = self.rng.choices(range(24), weights=weights)[0]
        if slug == "events":  # badge scans, typed in during the show
            hour = self.rng.randint(10, 17)
        local = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)), tzinfo=tz)
        return local.astimezone(UTC)

    def _new_plan(self, day: date, team: TeamSpec) -> _Plan | None:
        rng = self.rng
        spec = rng.choices(SOURCES, weights=[s.share for s in SOURCES])[0]
        if day.weekday() >= 5 and spec.slug == "events":
            spec = SOURCES[0]
        cities = US_CITIES if team is EAST else EMEA_CITIES
        city = rng.choices(cities, weights=[city[5] for city in cities])[0]
        submitted_at = self._submitted_at(day, zone(city[3]), spec.slug)
        if submitted_at > self.now - 10 * MINUTE:
            return None
        data = self.people.submission_data(spec, submitted_at, city)
        if rng.random() < 0.015:  # a throwaway address: kept, flagged junk, never routed
            data["email"] = f"{ascii_name(data['first_name'])}{rng.randint(10, 9999)}@{rng.choice(DISPOSABLE)}"
        lead_source = self.sources[spec.slug]
        received_at = submitted_at + timedelta(seconds=rng.uniform(0.2, 2.5))
        submission, errors = clean_submission(
            data, default_source=lead_source.default_source, allows_source=lead_source.allows, now=received_at
        )
        if errors:
            raise ValueError(f"demo submission rejected: {errors} for {data}")
        lead = build_lead(submission, lead_source, received_at)
        channels = [name for name, ok in (("email", lead.email), ("sms", lead.phone_e164 and lead.consent_sms)) if ok]
        skipped = skip_reason(lead, Inquiry(is_duplicate=False), received_at)
        return _Plan(lead, self.actor_labels[spec.slug], ack_channels=channels, ack_skipped=skipped)

    # What happened next.

    def _calendar(self, team: TeamSpec, country: str) -> BusinessCalendar:
        key = (team.name, country)
        if key not in self.calendars:
            self.calendars[key] = calendar_from_schedule(self.schedules[team.name], country)
        return self.calendars[key]

    def _event(self, plan: _Plan, kind: str, at: datetime, actor=None, actor_label: str = "", **data) -> None:
        plan.events.append(LeadEvent(lead=plan.lead, kind=kind, at=at, actor=actor, actor_label=actor_label, data=data))

    def _stage(self, plan: _Plan, stage: str, at: datetime, actor, reason: str = "") -> None:
        data = {"from": plan.lead.stage, "to": stage} | ({"reason": reason} if reason else {})
        self._event(plan, "stage.changed", at, actor=actor, **data)
        plan.lead.stage = stage

    def _owner_for(self, lead: Lead, team: TeamSpec, at: datetime) -> tuple[Rep, User, Team, dict]:
        """The rep the demo's routing rules pick, with a small trace like routing's own
        (marked historical); without a matching rule, the team's plain rotation."""
        pick = self.router.pick(lead, at)
        if pick is not None:
            return self.reps[pick.user.username][0], pick.user, pick.team, pick.trace
        index = self.rotation[team.name]
        self.rotation[team.name] += 1
        rep, owner = self.reps[team.reps[index % len(team.reps)].username]
        summary = f"no routing rule matched; {team.name}'s manager gave it to {owner.username}."
        trace = {
            "at": at.isoformat(), "historical": True, "rules": [], "rule": None, "candidates": [],
            "chosen": {"id": owner.pk, "username": owner.username, "name": owner.get_full_name()},
            "outcome": "assigned", "summary": summary,
        }  # fmt: skip
        return rep, owner, self.teams[team.name], trace

    def _arrival(self, plan: _Plan) -> datetime | None:
        """The acknowledgment, and when routing gave the lead an owner (None: junk, or
        still waiting at `now`)."""
        rng, lead = self.rng, plan.lead
        if not plan.ack_skipped:
            ack_at = lead.received_at + timedelta(seconds=rng.uniform(1.5, 9))
            lead.acknowledged_at = ack_at
            for channel in plan.ack_channels:
                to = lead.email if channel == "email" else lead.phone_e164
                self._event(plan, "acknowledgment.sent", ack_at, actor_label="system", channel=channel, to=to)
        if lead.junk:  # kept for audit, never routed
            return None
        team = EAST if lead.country == "US" else EMEA
        calendar, tz = self._calendar(team, lead.country), zone(lead.resolved_time_zone)
        if is_open(lead.submitted_at, calendar, tz):
            wait = rng.uniform(1, 30) if rng.random() < 0.85 else rng.uniform(60, 240)
            assigned_at = lead.received_at + timedelta(seconds=wait)
        else:  # the morning queue: picked up after the team opens
            opening = add_business_time(lead.submitted_at, timedelta(0), calendar, tz)
            assigned_at = max(opening, lead.received_at) + timedelta(seconds=rng.uniform(20, 900))
        return assigned_at if assigned_at <= self.now else None

    def _follow_up(self, plan: _Plan, assigned_at: datetime) -> None:
        """Assignment, attempts and decisions, cut off at `now`."""
        rng, lead = self.rng, plan.lead
        team = EAST if lead.country == "US" else EMEA
        calendar, tz = self._calendar(team, lead.country), zone(lead.resolved_time_zone)
        rep, owner, owner_team, trace = self._owner_for(lead, team, assigned_at)
        lead.owner, lead.assigned_at, lead.stage = owner, assigned_at, Stage.ASSIGNED
        lead.team, lead.routing_trace = owner_team, trace
        rule = trace["rule"] or {}
        self._event(
            plan, "lead.assigned", assigned_at, actor_label="routing",
            owner=owner.username, owner_id=owner.pk, rule=rule.get("name"), outcome=trace["outcome"],
            summary=trace["summary"], team=owner_team.name if owner_team else None, strategy=rule.get("strategy"),
        )  # fmt: skip
        if rng.random() < rep.never:
            return

        speed = rng.random()
        if lead.temperature == "cold":
            speed = min(1.0, speed + 0.25)
        if speed < rep.fast:
            delay = log_uniform(rng, 20, 290)
        elif speed < 1 - rep.slow:
            delay = log_uniform(rng, 300, 3600)
        else:
            delay = log_uniform(rng, 3600, 20 * 3600)
        at = add_business_time(assigned_at, timedelta(seconds=delay), calendar, tz)
        # The odds of reaching and qualifying a lead fall with the wall-clock wait (SPEC §1).
        bucket = next(index for index, limit in enumerate(RESPONSE_BUCKETS) if at - lead.submitted_at < limit)
        planned = rng.randint(1, rep.persistence)
        connect_chance = (0.5, 0.4, 0.3, 0.18)[bucket]
        outcome = ""
        for number in range(1, planned + 1):
            if at > self.now:
                break
            channel = self._channel(lead, number)
            outcome = self._outcome(channel, connect_chance if number == 1 else 0.2 * 0.85 ** (number - 2))
            plan.attempts.append(Attempt(lead=lead, number=number, channel=channel, outcome=outcome, at=at, by=owner))
            self._event(plan, "attempt.logged", at, actor=owner, number=number, channel=channel, outcome=outcome)
            if number == 1:
                lead.first_attempt_at = at
                self._stage(plan, Stage.CONTACTED, at, owner)
            if outcome in (AttemptOutcome.CONNECTED, AttemptOutcome.WRONG_NUMBER):
                break
            gap = ATTEMPT_GAPS[number - 1] * rng.uniform(0.7, 1.6)
            at = add_business_time(at, gap, calendar, tz)
        if not plan.attempts:
            return
        last = plan.attempts[-1].at
        if outcome == AttemptOutcome.WRONG_NUMBER:
            self._decide(plan, Stage.DISQUALIFIED, last + rng.uniform(1, 5) * MINUTE, owner, "wrong number")
        elif outcome == AttemptOutcome.CONNECTED:
            lead.first_connected_at = last
            self._stage(plan, Stage.CONNECTED, last, owner)
            self._after_connection(plan, bucket, owner)
        elif len(plan.attempts) == planned and rng.random() < 0.9:
            # Most reps close a lead once its sequence has run out: open leads stay under capacity.
            reason = f"no response after {planned} attempt{'s' if planned > 1 else ''}"
            self._decide(plan, Stage.DISQUALIFIED, last + rng.uniform(0.5, 2) * DAY, owner, reason)

    def _channel(self, lead: Lead, number: int) -> str:
        roll = self.rng.random()
        if not lead.phone_e164 or (number == 1 and roll < 0.06) or (number == 4 and roll < 0.8):
            return AttemptChannel.EMAIL
        if number > 1 and lead.consent_sms and roll < 0.12:
            return AttemptChannel.SMS
        return AttemptChannel.CALL if number == 1 or roll < 0.8 else AttemptChannel.EMAIL

    def _outcome(self, channel: str, connect_chance: float) -> str:
        if channel != AttemptChannel.CALL:
            return AttemptOutcome.SENT
        roll = self.rng.random()
        if roll < connect_chance:
            return AttemptOutcome.CONNECTED
        if roll < connect_chance + 0.015:
            return AttemptOutcome.WRONG_NUMBER
        return AttemptOutcome.NO_ANSWER if self.rng.random() < 0.62 else AttemptOutcome.VOICEMAIL

    def _after_connection(self, plan: _Plan, bucket: int, owner: User) -> None:
        """Faster first responses qualify more often (the research curve of SPEC §1)."""
        rng, lead = self.rng, plan.lead
        qualify = (0.55, 0.45, 0.35, 0.22)[bucket]
        qualify += {"hot": 0.1, "warm": 0.0, "cold": -0.15}[lead.temperature]
        roll = rng.random()
        if rng.random() < 0.6:
            decided_at = lead.first_connected_at + rng.uniform(3, 25) * MINUTE
        else:
            decided_at = lead.first_connected_at + timedelta(seconds=log_uniform(rng, 7200, 3 * 86400))
        if roll < qualify:
            if self._decide(plan, Stage.QUALIFIED, decided_at, owner, rng.choice(QUALIFIED_REASONS)):
                if rng.random() < 0.45:
                    converted_at = decided_at + rng.uniform(1, 6) * DAY
                    if converted_at <= self.now:
                        lead.converted_at = converted_at
                        self._stage(plan, Stage.CONVERTED, converted_at, owner, "opportunity created")
        elif roll < qualify + 0.35:
            self._decide(plan, Stage.DISQUALIFIED, decided_at, owner, rng.choice(DISQUALIFIED_REASONS))

    def _decide(self, plan: _Plan, stage: str, at: datetime, owner: User, reason: str) -> bool:
        if at > self.now:
            return False
        plan.lead.decided_at = at
        self._stage(plan, stage, at, owner, reason)
        return True

    def _repeat(self, plan: _Plan) -> None:
        """The same person asks again a little later: a new inquiry on the same lead."""
        lead = plan.lead
        at = lead.submitted_at + timedelta(seconds=log_uniform(self.rng, 1800, 5 * 86400))
        if at > self.now - 10 * MINUTE:
            return
        received_at = at + timedelta(seconds=self.rng.uniform(0.2, 2.5))
        plan.repeat = Inquiry(
            lead=lead,
            lead_source=lead.lead_source,
            inquiry_type=lead.inquiry_type,
            source=lead.source,
            product_interest=lead.product_interest,
            message="Following up on my earlier request: any news?",
            submitted_at=at,
            received_at=received_at,
            is_duplicate=True,
        )
        skipped = skip_reason(lead, plan.repeat, received_at)  # at most one acknowledgment a day
        plan.repeat.ack_state = AckState.SKIPPED if skipped else AckState.DONE

    # Writing it all.

    def build(self, days: int) -> int:
        plans: list[_Plan] = []
        for offset in range(days, -1, -1):
            for team in TEAMS:
                day = self.now.astimezone(zone(team.time_zone)).date() - timedelta(days=offset)
                business_day = day.weekday() < 5
                total = self.rng.randint(35, 60) if business_day else self.rng.randint(6, 14)
                share = 0.55 if team is EAST else 0.45
                for _ in range(round(total * share)):
                    plan = self._new_plan(day, team)
                    if plan is not None:
                        plans.append(plan)
        plans.sort(key=lambda plan: plan.lead.submitted_at)
        arrivals = [(at, index) for index, plan in enumerate(plans) if (at := self._arrival(plan))]
        # Assigned in the order it happened, so each rep's open leads at that moment are known.
        for at, index in sorted(arrivals):
            self._follow_up(plans[index], at)
        for plan in self.rng.sample(plans, k=len(plans) // 30):
            if not plan.lead.junk:
                self._repeat(plan)
        self._write(plans)
        return len(plans)

    def _write(self, plans: list[_Plan]) -> None:
        Lead.objects.bulk_create([plan.lead for plan in plans], batch_size=500)
        for plan in plans:
            lead = plan.lead
            plan.inquiry = Inquiry(
                lead=lead,
                lead_source=lead.lead_source,
                external_id=lead.external_id,
                inquiry_type=lead.inquiry_type,
                source=lead.source,
                product_interest=lead.product_interest,
                message=lead.message,
                submitted_at=lead.submitted_at,
                received_at=lead.received_at,
                ack_state=AckState.SKIPPED if plan.ack_skipped else AckState.DONE,
            )
        inquiries = [inquiry for plan in plans for inquiry in (plan.inquiry, plan.repeat) if inquiry]
        Inquiry.objects.bulk_create(inquiries, batch_size=500)
        events = []
        for plan in plans:
            events += self._intake_events(plan)
            events += plan.events
        LeadEvent.objects.bulk_create(events, batch_size=1000)
        Attempt.objects.bulk_create([attempt for plan in plans for attempt in plan.attempts], batch_size=1000)

    def _intake_events(self, plan: _Plan) -> list[LeadEvent]:
        """The events lead_intake and the acknowledgment job would have recorded; they
        name the inquiries, so they are made once those have ids."""
        lead, repeat = plan.lead, plan.repeat
        submitted = {
            "inquiry": plan.inquiry.pk,
            "temperature": lead.temperature,
            "score": lead.score,
            "junk_reason": lead.junk_reason,
            "sla_policy": lead.sla_policy_id,
            "first_contact_by": lead.first_contact_due_at.isoformat(),
        }
        events = [
            LeadEvent(
                lead=lead, kind="lead.submitted", at=lead.received_at, actor_label=plan.actor_label, data=submitted
            )
        ]
        if plan.ack_skipped:
            skipped = {"reason": plan.ack_skipped}
            at = lead.received_at + SECOND
            events.append(
                LeadEvent(lead=lead, kind="acknowledgment.skipped", at=at, actor_label="system", data=skipped)
            )
        if repeat is None:
            return events
        data = {"inquiry": repeat.pk, "inquiry_type": repeat.inquiry_type, "source": repeat.source}
        events.append(
            LeadEvent(
                lead=lead, kind="inquiry.repeated", at=repeat.received_at, actor_label=plan.actor_label, data=data
            )
        )
        if repeat.ack_state == AckState.DONE:
            kind, data = "acknowledgment.sent", {"channel": "email", "to": lead.email}
        else:
            kind, data = "acknowledgment.skipped", {"reason": skip_reason(lead, repeat, repeat.received_at)}
        at = repeat.received_at + 5 * SECOND
        events.append(LeadEvent(lead=lead, kind=kind, at=at, actor_label="system", data=data))
        return events
