"""The one door for a lead's lifecycle (SPEC §3.8): attempts and stage changes.

The API, the lead page and phone-system webhooks all call these. Each locks the lead,
records a timeline event, keeps the funnel timestamps (first attempt, first connected,
decision, conversion) and tells the cadence engine, which stops or advances the plan."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from leadops import events
from leads.actions import record_event
from leads.choices import AttemptChannel, AttemptOutcome, Stage
from leads.models import Attempt, Lead

OUTCOMES_BY_CHANNEL = {
    AttemptChannel.CALL: {
        AttemptOutcome.CONNECTED, AttemptOutcome.NO_ANSWER, AttemptOutcome.VOICEMAIL, AttemptOutcome.WRONG_NUMBER,
    },
    AttemptChannel.EMAIL: {AttemptOutcome.SENT, AttemptOutcome.REPLIED},
    AttemptChannel.SMS: {AttemptOutcome.SENT, AttemptOutcome.REPLIED, AttemptOutcome.CONNECTED},
    AttemptChannel.WHATSAPP: {AttemptOutcome.SENT, AttemptOutcome.REPLIED, AttemptOutcome.CONNECTED},
}  # fmt: skip
REACHED = {AttemptOutcome.CONNECTED, AttemptOutcome.REPLIED}
DECISIONS = {Stage.QUALIFIED, Stage.DISQUALIFIED, Stage.CONVERTED}
BEFORE_CONTACT = {Stage.NEW, Stage.ASSIGNED}


class LifecycleError(ValueError):
    """A change that does not fit the lead's state; the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def validate_attempt(channel: str, outcome: str) -> None:
    if channel not in OUTCOMES_BY_CHANNEL:
        raise LifecycleError("channel", f"Use one of: {', '.join(OUTCOMES_BY_CHANNEL)}.")
    if outcome not in OUTCOMES_BY_CHANNEL[channel]:
        allowed = ", ".join(sorted(OUTCOMES_BY_CHANNEL[channel]))
        raise LifecycleError("outcome", f"A {channel} can end as: {allowed}.")


def log_attempt(
    lead: Lead, *, channel: str, outcome: str, by=None, note: str = "", at: datetime | None = None,
    source: str = "rep",
) -> Attempt:  # fmt: skip
    """Record a touch by a rep (or their dialer): sets first attempt / first connected,
    moves the stage on, and tells the cadence (a connect or a reply stops it)."""
    validate_attempt(channel, outcome)
    at = at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
        number = (lead.attempts.aggregate(last=Max("number"))["last"] or 0) + 1
        attempt = Attempt.objects.create(
            lead=lead, number=number, channel=channel, outcome=outcome, at=at, by=by, note=note[:5000]
        )
        changed = ["updated_at"]
        # A touch recorded late (an email found by a mailbox sync) may be the earliest one.
        if lead.first_attempt_at is None or at < lead.first_attempt_at:
            lead.first_attempt_at = at
            lead.reassign_due_at = None
            changed += ["first_attempt_at", "reassign_due_at"]
        if lead.stage in BEFORE_CONTACT:
            lead.stage = Stage.CONTACTED
            changed.append("stage")
        if outcome in REACHED:
            if lead.first_connected_at is None:
                lead.first_connected_at = at
                changed.append("first_connected_at")
            if lead.stage == Stage.CONTACTED:
                lead.stage = Stage.CONNECTED
                changed.append("stage")
        lead.save(update_fields=sorted(set(changed)))
        record_event(
            lead, "attempt.logged", actor=by, actor_label="" if by else source, at=at,
            number=number, channel=channel, outcome=outcome, note=note[:500],
        )  # fmt: skip
        events.emit(events.ATTEMPT_LOGGED, lead=lead, attempt=attempt)
    return attempt


def change_stage(lead: Lead, *, stage: str, reason: str = "", by=None, at: datetime | None = None) -> Lead:
    """Qualify, disqualify or convert a lead; the cadence stops on any decision."""
    if stage not in DECISIONS:
        raise LifecycleError("stage", "Use qualified, disqualified or converted.")
    at = at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
        if lead.stage == stage:
            return lead
        if lead.stage == Stage.CONVERTED:
            raise LifecycleError("stage", "The lead is already converted.")
        if stage == Stage.CONVERTED and lead.stage == Stage.DISQUALIFIED:
            raise LifecycleError("stage", "Qualify a disqualified lead before converting it.")
        previous = lead.stage
        lead.stage = stage
        if stage in (Stage.QUALIFIED, Stage.DISQUALIFIED) or lead.decided_at is None:
            lead.decided_at = at
        if stage == Stage.CONVERTED:
            lead.converted_at = at
        lead.reassign_due_at = None
        lead.save(update_fields=["stage", "decided_at", "converted_at", "reassign_due_at", "updated_at"])
        record_event(lead, "stage.changed", actor=by, at=at, **{"from": previous, "to": stage, "reason": reason[:500]})
        events.emit(events.LEAD_DECIDED, lead=lead, stage=stage, reason=reason)
    return lead
