"""Read-mostly configuration the intake needs on every request (SLA policies, business
schedules, named accounts, intake keys), cached in the process for a few seconds: edits in
the admin apply within CONFIG_TTL seconds, and no process keeps anything that is not also
in the database. Routing's configuration shares the cache (routing/config.py)."""

from __future__ import annotations

import time

from leads.models import IntakeKey, Lead, LeadSource, SlaPolicy, hash_intake_key


def _related(model, field: str):
    """Schedules and named accounts are managed with routing (its admin) and referenced by
    the lead's own foreign keys; the lead domain reads them through those relations."""
    return model._meta.get_field(field).related_model


CONFIG_TTL = 10.0
_cache: dict = {}


def cached(key, load):
    """`load()`, kept for CONFIG_TTL seconds under `key`."""
    entry = _cache.get(key)
    now = time.monotonic()
    if entry is None or now - entry[0] > CONFIG_TTL:
        if len(_cache) > 1000:  # keys per rep pool and day: drop the old ones now and then
            _cache.clear()
        entry = (now, load())
        _cache[key] = entry
    return entry[1]


def forget() -> None:
    """Drop the cache (tests, and right after an admin edit in this process)."""
    _cache.clear()
    _unknown_keys.clear()


def active_policies() -> list:
    return cached("policies", lambda: list(SlaPolicy.objects.filter(active=True).order_by("position", "id")))


# Unknown keys are remembered briefly too, so that a flood of the same wrong key does not
# query the database each time; briefly, so that a key issued just now works within seconds.
UNKNOWN_KEY_TTL = 3.0
UNKNOWN_KEYS_KEPT = 10_000
_unknown_keys: dict[str, float] = {}


def intake_key(raw_key: str):
    """The active key for a raw bearer key (with its lead source), or None. A found key is
    cached for CONFIG_TTL seconds (a revoked key stops working within that time), a
    wrong one for UNKNOWN_KEY_TTL seconds."""
    key_hash = hash_intake_key(raw_key)
    now = time.monotonic()
    entry = _cache.get(("key", key_hash))
    if entry and now - entry[0] <= CONFIG_TTL:
        return entry[1]
    missed_at = _unknown_keys.get(key_hash)
    if missed_at is not None and now - missed_at <= UNKNOWN_KEY_TTL:
        return None
    key = IntakeKey.objects.for_raw_key(raw_key)
    if key is not None:
        _cache[("key", key_hash)] = (now, key)
        _unknown_keys.pop(key_hash, None)
    else:
        if len(_unknown_keys) >= UNKNOWN_KEYS_KEPT:
            _unknown_keys.clear()
        _unknown_keys[key_hash] = now
    return key


def cached_intake_key(raw_key: str):
    """The key for a raw bearer key if this process found it within CONFIG_TTL seconds
    (no query), else None: then ask intake_key()."""
    if not raw_key:
        return None
    entry = _cache.get(("key", hash_intake_key(raw_key)))
    return entry[1] if entry and time.monotonic() - entry[0] <= CONFIG_TTL else None


def known_intake_key(raw_key: str) -> bool:
    """Whether a raw key is a valid key this process has seen within CONFIG_TTL seconds."""
    if not raw_key:
        return False
    entry = _cache.get(("key", hash_intake_key(raw_key)))
    return bool(entry) and time.monotonic() - entry[0] <= CONFIG_TTL


def named_accounts() -> dict[str, tuple[int, int | None]]:
    """Named account domain -> (account id, owner id)."""
    return cached(
        "named_accounts",
        lambda: {
            domain: (pk, owner)
            for pk, domain, owner in _related(Lead, "named_account").objects.values_list("pk", "domain", "owner_id")
        },
    )


def schedule(schedule_id: int | None):
    """The lead source's business schedule (hours and closed days prefetched), else the default."""

    def load():
        queryset = _related(LeadSource, "schedule").objects.prefetch_related("hours", "closed_days")
        chosen = queryset.filter(pk=schedule_id).first() if schedule_id else None
        return chosen or queryset.filter(is_default=True).first()

    return cached(("schedule", schedule_id), load)
