"""How a rule picks one rep among the eligible ones (SPEC §3.5). Pure functions over
snapshots; the rotation state they read is locked by the caller (routing/assignment.py)."""

from __future__ import annotations

import math

from routing.eligibility import RepSnapshot


def round_robin(eligible: list[RepSnapshot], cursor: int) -> RepSnapshot:
    """Strict rotation by user id: the first rep after the last one served."""
    ordered = sorted(eligible, key=lambda rep: rep.user_id)
    return next((rep for rep in ordered if rep.user_id > cursor), ordered[0])


def weighted(eligible: list[RepSnapshot], counts: dict[int, int]) -> RepSnapshot:
    """Smooth weighted rotation: the rep whose next lead keeps their share closest to
    their weight (lowest (assigned + 1) / weight). Over N leads each rep's count stays
    within 1 of N * weight / total weight."""
    return min(eligible, key=lambda rep: ((counts.get(rep.user_id, 0) + 1) / max(rep.weight, 1), rep.user_id))


def least_loaded(eligible: list[RepSnapshot], counts: dict[int, int]) -> RepSnapshot:
    return min(eligible, key=lambda rep: (rep.open_leads, counts.get(rep.user_id, 0), rep.user_id))


def best_performer(eligible: list[RepSnapshot], response_seconds: dict[int, float]) -> RepSnapshot:
    """Fastest recent first response (reps without history come after those with)."""
    return min(eligible, key=lambda rep: (response_seconds.get(rep.user_id, math.inf), rep.open_leads, rep.user_id))
