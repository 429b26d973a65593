"""Accept or pass, from the rep's side (SPEC §3.11): the lead page's "Pass it on" form and
`POST /api/v1/leads/{id}/pass` (accepting is `POST /api/v1/leads/{id}/accept` and the
lead page's Accept button). The move itself is routing/offers.py: the next eligible rep,
traced, the passer left out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Lead
from leads.permissions import lead_for_action
from routing.offers import PassRefused, pass_lead
from workspace.forms import PassForm
from workspace.lead_page import _invalid, _lead_for_action


class PassSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why the rep passes the lead on (on the trace).")


class PassErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PassReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


def _owner_name(lead: Lead) -> str:
    owner = lead.owner
    return (owner.get_full_name() or owner.get_username()) if owner else "nobody"


class PassLead(APIView):
    @extend_schema(
        request=PassSerializer,
        responses={200: PassReplySerializer, 409: PassErrorsSerializer},
        summary="Pass a lead on to the next eligible rep (its owner; 409 when it cannot move)",
    )
    def post(self, request, pk: int):
        lead = lead_for_action(request, pk)
        if lead.owner_id != request.user.pk:
            raise ApiPermissionDenied("Only the rep who has the lead can pass it on.")
        incoming = PassSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            lead = pass_lead(lead.pk, by=request.user, reason=incoming.validated_data["reason"])
        except PassRefused as error:
            return Response({"errors": {error.field: [str(error)]}}, status=409)
        owner = lead.owner.get_username() if lead.owner_id else None
        return Response({"id": lead.pk, "owner": owner, "reason": incoming.validated_data["reason"]})


@login_required
@require_POST
def pass_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    if lead.owner_id != request.user.pk:
        raise PermissionDenied("Only the rep who has the lead can pass it on.")
    form = PassForm(request.POST)
    if form.is_valid():
        try:
            lead = pass_lead(lead.pk, by=request.user, reason=form.cleaned_data["reason"])
        except PassRefused as error:
            form.add_error("reason" if error.field == "reason" else None, str(error))
        else:
            messages.success(request, f"Passed on to {_owner_name(lead)}.")
            return redirect("workspace-queue")
    return _invalid(request, lead, pass_form=form)
