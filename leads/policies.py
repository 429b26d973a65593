"""Read-mostly configuration the intake needs on every request (SLA policies, business
schedules), cached in the process for a few seconds: edits in the admin apply within
CONFIG_TTL seconds, and no process keeps anything that is not also in the database."""

from __future__ import annotations

import time

from routing.models import BusinessSchedule

CONFIG_TTL = 10.0
_cache: dict = {}


def _cached(key, load):
    entry = _cache.get(key)
    now = time.monotonic()
    if entry is None or now - entry[0] > CONFIG_TTL:
        entry = (now, load())
        _cache[key] = entry
    return entry[1]


def forget() -> None:
    """Drop the cache (tests, and right after an admin edit in this process)."""
    _cache.clear()


def active_policies() -> list:
    from leads.models import SlaPolicy

    return _cached("policies", lambda: list(SlaPolicy.objects.filter(active=True).order_by("position", "id")))


def intake_key(raw_key: str):
    """The active key for a raw bearer key (with its lead source), or None. Only found
    keys are cached, so a revoked key stops working within CONFIG_TTL seconds."""
    from leads.models import IntakeKey, hash_intake_key

    key_hash = hash_intake_key(raw_key)
    entry = _cache.get(("key", key_hash))
    if entry and time.monotonic() - entry[0] <= CONFIG_TTL:
        return entry[1]
    key = IntakeKey.objects.for_raw_key(raw_key)
    if key is not None:
        _cache[("key", key_hash)] = (time.monotonic(), key)
    return key


def named_accounts() -> dict[str, tuple[int, int | None]]:
    """Named account domain -> (account id, owner id)."""
    from routing.models import NamedAccount

    return _cached(
        "named_accounts",
        lambda: {
            domain: (pk, owner) for pk, domain, owner in NamedAccount.objects.values_list("pk", "domain", "owner_id")
        },
    )


def schedule(schedule_id: int | None) -> BusinessSchedule | None:
    def load():
        queryset = BusinessSchedule.objects.prefetch_related("hours", "closed_days")
        chosen = queryset.filter(pk=schedule_id).first() if schedule_id else None
        return chosen or queryset.filter(is_default=True).first()

    return _cached(("schedule", schedule_id), load)
