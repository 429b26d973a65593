"""Checking one row of a history import (leads/importer.py): times, counts, the owner by
email, and the attempt history they describe."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from leads.intake import MAX_FUTURE_SKEW

TIME_COLUMNS = ("first_attempt_at", "connected_at", "qualified_at", "disqualified_at", "converted_at")
MAX_ATTEMPTS = 50
FOLLOW_UP_GAPS = (timedelta(minutes=7), timedelta(minutes=20), timedelta(hours=4))
LATER_GAP = timedelta(days=1)


class RowErrors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def sentence(self) -> str:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.items())


def row_time(cells: dict, name: str, errors: RowErrors) -> datetime | None:
    text = (cells.get(name) or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors.add(name, "Use ISO 8601 with a UTC offset, e.g. 2026-11-23T10:00:00+01:00.")
        return None
    if moment.utcoffset() is None:
        errors.add(name, "Include a UTC offset (e.g. +01:00 or Z).")
        return None
    return moment


def row_count(cells: dict, name: str, errors: RowErrors, low: int) -> int | None:
    text = (cells.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= MAX_ATTEMPTS:
        errors.add(name, f"Use a whole number from {low} to {MAX_ATTEMPTS}.")
        return None
    return int(text)


class Owners:
    def __init__(self):
        self.users, self.teams = {}, {}

    def find(self, email: str, errors: RowErrors):
        key = email.strip().lower()
        if key not in self.users:
            self.users[key] = list(get_user_model().objects.filter(email__iexact=key, is_active=True)[:2])
        found = self.users[key]
        if len(found) != 1:
            problem = "matches no active user" if not found else "matches more than one user"
            errors.add("owner_email", f"{email} {problem}; fix the email or create the user, then re-run.")
            return None
        return found[0]

    def team_of(self, user):
        if user.pk not in self.teams:
            self.teams[user.pk] = user.teams.order_by("name").first()  # routing.Team.members
        return self.teams[user.pk]


def check_history(
    cells: dict, submitted_at: datetime, now: datetime, errors: RowErrors
) -> tuple[dict, int, int | None]:
    times = {name: row_time(cells, name, errors) for name in TIME_COLUMNS}
    attempts = row_count(cells, "attempts", errors, 0)
    connected_attempt = row_count(cells, "connected_attempt", errors, 1)
    if errors:
        return times, 0, None
    for name, moment in times.items():
        if moment and moment < submitted_at:
            errors.add(name, "Must not be before submitted_at.")
        elif moment and moment > now + MAX_FUTURE_SKEW:
            errors.add(name, "Must not be in the future.")
    first, connected = times["first_attempt_at"], times["connected_at"]
    if times["qualified_at"] and times["disqualified_at"]:
        errors.add("disqualified_at", "Give qualified_at or disqualified_at, not both.")
    if times["converted_at"] and times["disqualified_at"]:
        errors.add("converted_at", "A disqualified lead cannot be converted.")
    if times["converted_at"] and times["qualified_at"] and times["converted_at"] < times["qualified_at"]:
        errors.add("converted_at", "Must not be before qualified_at.")
    if connected and first and connected < first:
        errors.add("connected_at", "Must not be before first_attempt_at.")
    if connected and not first:
        if connected_attempt not in (None, 1):
            errors.add("first_attempt_at", "Needed when the lead was connected on a later attempt.")
        times["first_attempt_at"] = first = connected
    if connected_attempt and not connected:
        if connected_attempt == 1 and first:
            times["connected_at"] = connected = first
        else:
            errors.add("connected_at", "Needed with connected_attempt.")
    if attempts == 0 and first:
        errors.add("attempts", "Is 0, but first_attempt_at is given.")
    if attempts and not first:
        errors.add("first_attempt_at", "Needed when attempts is more than 0.")
    if errors or not first:
        return times, 0, None
    count = attempts or 1
    if connected:
        if connected_attempt is None:
            connected_attempt = 1 if connected == first or attempts == 1 else (attempts or 2)
        if connected_attempt > count:
            if attempts:
                errors.add("connected_attempt", "Is more than attempts.")
            count = connected_attempt
        if connected_attempt > 1 and connected == first:
            errors.add("connected_at", "Equals first_attempt_at, but the connection was not on attempt 1.")
    return times, count, connected_attempt


def attempt_times(
    count: int, first: datetime, connected: datetime | None, connected_number: int | None, limit: datetime
) -> list[datetime]:
    """When each of `count` attempts happened (the rule in the module docstring)."""
    anchors = {1: first}
    if connected and connected_number and connected_number > 1:
        anchors[connected_number] = connected
    known = sorted(anchors)
    times: dict[int, datetime] = dict(anchors)
    for low, high in zip(known, known[1:], strict=False):
        step = (anchors[high] - anchors[low]) / (high - low)
        for number in range(low + 1, high):
            times[number] = anchors[low] + step * (number - low)
    last_number = known[-1]
    later = list(range(last_number + 1, count + 1))
    if later:
        start = anchors[last_number]
        gaps = [FOLLOW_UP_GAPS[index] if index < len(FOLLOW_UP_GAPS) else LATER_GAP for index in range(len(later))]
        if start + sum(gaps, timedelta(0)) <= limit:
            moment = start
            for number, gap in zip(later, gaps, strict=True):
                moment += gap
                times[number] = moment
        else:
            step = (max(limit, start) - start) / (len(later) + 1)
            for index, number in enumerate(later, start=1):
                times[number] = start + step * index
    return [times[number] for number in range(1, count + 1)]
