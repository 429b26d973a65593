"""What if: the last N days of real leads replayed through the current configuration and
through the edited one, side by side (the figures the admin page shows)."""

from __future__ import annotations

import multiprocessing
import statistics
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from leads.models import Lead
from routing.decision import MORNING_QUEUE, ON_CALL, UNROUTED
from routing.models import Strategy
from whatif.configuration import Configuration, Edit, apply_edit, load_configuration
from whatif.history import History, load_history
from whatif.replay import LeadResult, SlaClock, replay

DEFAULT_DAYS = 30
MAX_DAYS = 90
CHANGES_SHOWN = 500


def _uses(configurations: list[Configuration], strategy: str) -> bool:
    return any(rule.strategy == strategy for configuration in configurations for rule in configuration.rules)


def _sla_targets(clock: SlaClock, history: History) -> list:
    return [clock.targets(lead) for lead in history.leads]


def _same_policies(first: list, second: list) -> bool:
    def fields(policy):
        return {f.attname: getattr(policy, f.attname) for f in policy._meta.concrete_fields}

    return len(first) == len(second) and all(fields(a) == fields(b) for a, b in zip(first, second, strict=True))


def what_if(
    edit: Edit | None,
    *,
    days: int = DEFAULT_DAYS,
    until: datetime | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict:
    """The report: figures for the current and the edited configuration, and the leads
    whose owner would change. `progress` hears the share done (0..1) now and then."""
    ends = until or timezone.now()
    starts = ends - timedelta(days=days)
    current = load_configuration(starts, ends)
    edited = apply_edit(current, edit) if edit else current.copy()
    both = [current, edited]
    history = load_history(
        starts,
        ends,
        best_performer=_uses(both, Strategy.BEST_PERFORMER),
        account_owner=_uses(both, Strategy.ACCOUNT_OWNER),
    )
    total = max(1, len(history.leads))
    report = lambda share: progress and progress(round(share, 3))  # noqa: E731
    report(0.02)
    current_clock = SlaClock(current.policies)
    edited_clock = current_clock if _same_policies(current.policies, edited.policies) else SlaClock(edited.policies)
    before, after = _replay_both(current, edited, history, current_clock, edited_clock, total, report)
    result = compare(history, current, edited, before, after)
    result.update(starts=starts.isoformat(), ends=ends.isoformat(), days=days, edit=edit.label if edit else "no change")
    report(1.0)
    return result


def _replay_both(current, edited, history, current_clock, edited_clock, total, report) -> tuple[list, list]:
    """The two replays side by side: the edited one in a forked process (the machine's
    second core), the current one here. The child only computes: the configuration and the
    history are in its memory already, and it touches neither the database nor Redis."""
    context = multiprocessing.get_context("fork")
    child_done = context.Value("q", 0, lock=False)
    reader, writer = context.Pipe(duplex=False)

    def child() -> None:
        try:
            targets = shared_targets if edited_clock is current_clock else _sla_targets(edited_clock, history)
            results = replay(edited, history, targets, edited_clock, lambda n: setattr(child_done, "value", n))
            writer.send(("ok", [astuple_result(result) for result in results]))
        except BaseException:  # noqa: BLE001 (the parent raises it with the child's traceback)
            writer.send(("error", traceback.format_exc()))
        finally:
            writer.close()

    # Same SLA policies: the due times are computed once, before the fork, for both sides.
    shared_targets = _sla_targets(current_clock, history) if edited_clock is current_clock else None
    process = context.Process(target=child, name="whatif-edited", daemon=True)
    process.start()
    writer.close()
    done_here = 0

    def tell(n: int | None = None) -> None:
        nonlocal done_here
        done_here = done_here if n is None else n
        report(0.05 + 0.95 * (done_here + child_done.value) / (2 * total))

    targets = shared_targets or _sla_targets(current_clock, history)
    before = replay(current, history, targets, current_clock, tell)
    tell(total)
    while not reader.poll(0.5):
        if not process.is_alive():
            raise RuntimeError("the replay of the edited configuration stopped without a result")
        tell()
    status, payload = reader.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(f"the replay of the edited configuration failed:\n{payload}")
    return before, [LeadResult(*values) for values in payload]


def astuple_result(result: LeadResult) -> tuple:
    return (result.outcome, result.owner_id, result.owned_at, result.rule_id, result.first_contact_due,
            result.due_in_hours)  # fmt: skip


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(history: History, results: list[LeadResult]) -> dict:
    outcomes = Counter(result.outcome for result in results)
    per_rep = Counter(result.owner_id for result in results if result.owner_id is not None)
    latencies = [
        (result.owned_at - lead.submitted_at).total_seconds()
        for lead, result in zip(history.leads, results, strict=True)
        if result.owned_at is not None
    ]
    return {
        "leads": len(results),
        "per_rep": dict(per_rep),
        "morning_queue": outcomes[MORNING_QUEUE],
        "on_call": outcomes[ON_CALL],
        "unrouted": outcomes[UNROUTED],
        "assigned_at_arrival": outcomes["assigned"],
        "never_assigned": sum(1 for result in results if result.owner_id is None),
        "latency": {
            "mean": statistics.fmean(latencies) if latencies else None,
            "median": statistics.median(latencies) if latencies else None,
            "p90": _percentile(latencies, 0.9),
        },
        "due_in_hours": {
            "count": sum(1 for result in results if result.due_in_hours),
            "share": (sum(1 for result in results if result.due_in_hours) / len(results)) if results else None,
        },
    }


def exactness(history: History, current: Configuration, results: list[LeadResult]) -> dict:
    """Leads whose recorded routing is complete — never moved after it was given, every rep
    of the pool with a recorded status by its arrival — and how many the replay of the
    current configuration gives to the recorded owner: those decided at arrival (exact),
    and apart those given after a wait (the sweeper's minute may reorder those)."""
    pools = {rule.pk: rule.pool_ids for rule in current.rules}
    figures = {"checked": 0, "matched": 0, "checked_after_wait": 0, "matched_after_wait": 0}
    for lead, result in zip(history.leads, results, strict=True):
        if lead.reassigned or lead.recorded_outcome not in ("assigned", "on_call"):
            continue
        pool = pools.get(lead.recorded_rule_id)
        if pool is None or any(  # the pool, and the owner (an account's owner, the on-call rep) too
            history.known_since.get(user_id, lead.arrived_at + timedelta(1)) > lead.arrived_at
            for user_id in {*pool, lead.recorded_owner_id}
        ):
            continue
        suffix = "" if lead.recorded_at_arrival else "_after_wait"
        figures["checked" + suffix] += 1
        figures["matched" + suffix] += result.owner_id == lead.recorded_owner_id
    return figures


def compare(history: History, current: Configuration, edited: Configuration, before: list, after: list) -> dict:
    now_figures, edited_figures = figures(history, before), figures(history, after)
    names = {pk: rep.username for pk, rep in {**current.reps, **edited.reps}.items()}
    rep_ids = sorted(set(now_figures["per_rep"]) | set(edited_figures["per_rep"]), key=lambda pk: names.get(pk, ""))
    rows = [
        {"rep": names.get(pk, f"user {pk}"), "current": now_figures["per_rep"].get(pk, 0),
         "edited": edited_figures["per_rep"].get(pk, 0)}
        for pk in rep_ids
    ]  # fmt: skip
    for side in ("current", "edited"):
        counts = [row[side] for row in rows]
        (now_figures if side == "current" else edited_figures)["spread"] = (max(counts) - min(counts)) if counts else 0
    changed = [
        (lead, first, second)
        for lead, first, second in zip(history.leads, before, after, strict=True)
        if first.owner_id != second.owner_id
    ]
    shown = changed[:CHANGES_SHOWN]
    labels = {
        pk: (name or " ".join(part for part in (first, last) if part) or email or phone)
        for pk, name, first, last, email, phone in Lead.objects.filter(
            pk__in=[lead.pk for lead, _, _ in shown]
        ).values_list("pk", "name", "first_name", "last_name", "email", "phone")
    }
    return {
        "current": now_figures,
        "edited": edited_figures,
        "reps": rows,
        "changed_count": len(changed),
        "changes": [
            {
                "lead": lead.pk,
                "name": labels.get(lead.pk, ""),
                "submitted_at": lead.submitted_at.isoformat(),
                "recorded": names.get(lead.recorded_owner_id) if lead.recorded_owner_id else None,
                "current": names.get(first.owner_id) if first.owner_id else first.outcome.replace("_", " "),
                "edited": names.get(second.owner_id) if second.owner_id else second.outcome.replace("_", " "),
            }
            for lead, first, second in shown
        ],
        "exactness": exactness(history, current, before),
    }
