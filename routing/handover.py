"""Who may take a lead handed over by a colleague: one rule for the lead page's form, the
API (POST /api/v1/leads/{id}/handover) and routing.assignment.hand_over itself, which
checks it again under the lead's row lock."""

from __future__ import annotations

from datetime import datetime

from leadops.roles import REPS, in_group
from routing.eligibility import on_leave


class HandoverRefused(ValueError):
    """A handover the rules do not allow; the message says why, for the `to` field."""


def handover_refusal(lead, to_user, now: datetime) -> str:
    """Why `to_user` may not take `lead` now, or "" when they may: an active rep, not the
    owner already, in the lead's team when it has one, and not on leave."""
    if not to_user.is_active or not in_group(to_user, REPS):
        return "No active rep with that username."
    if to_user.pk == lead.owner_id:
        return "The lead is already theirs."
    if lead.team_id and not to_user.teams.filter(pk=lead.team_id).exists():
        return f"That rep is not in the lead's team ({lead.team.name})."
    profile = getattr(to_user, "rep_profile", None)
    if profile and on_leave(profile.leave.values_list("starts_on", "ends_on"), profile.time_zone, now):
        return "That rep is on leave."
    return ""


def check_handover(lead, to_user, now: datetime) -> None:
    if refusal := handover_refusal(lead, to_user, now):
        raise HandoverRefused(refusal)
