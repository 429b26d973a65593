"""Who may see which leads: reps their own, managers and leadership all (SPEC §6)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import PermissionDenied

from leadops.roles import is_manager, sees_all_leads
from leads.models import Lead


def visible_leads(user):
    if not user.is_authenticated:
        return Lead.objects.none()
    if sees_all_leads(user):
        return Lead.objects.all()
    return Lead.objects.filter(owner=user)


def lead_for_action(request, pk: int):
    """The lead, if the caller may act on it: its owner or a manager (others: 404/403)."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    if lead.owner_id != request.user.pk and not is_manager(request.user):
        raise PermissionDenied("Only the lead's owner or a manager can do this.")
    return lead
