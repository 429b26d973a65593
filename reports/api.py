"""`GET /api/v1/metrics/sla` (SPEC §6): the SPEC §4 metrics as JSON, for leadership and
managers (token or session)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from leadops.roles import sees_all_leads
from leads.choices import Source, Temperature
from reports import filters as report_filters
from reports import meetings


class ReadsMetrics(BasePermission):
    message = "Only leadership and managers can read the metrics."

    def has_permission(self, request, view) -> bool:
        return sees_all_leads(request.user)


FILTER_PARAMETERS = [
    OpenApiParameter("since", str, description="Date (whole day, organisation time zone) or ISO 8601 with offset."),
    OpenApiParameter("until", str, description="Date (that whole day included) or ISO 8601 datetime (excluded)."),
    OpenApiParameter("team", str, description="Team id or name."),
    OpenApiParameter("source", str, enum=Source.values, description="The lead's channel."),
    OpenApiParameter("temperature", str, enum=Temperature.values),
    OpenApiParameter("rep", str, description="Owner: user id or username."),
]


class SlaMetrics(APIView):
    permission_classes = [IsAuthenticated, ReadsMetrics]

    @extend_schema(
        operation_id="metrics_sla",
        summary="SLA metrics (SPEC §4), times in seconds",
        parameters=FILTER_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        filters, errors = report_filters.parse_filters(request.query_params)
        if errors:
            raise ValidationError(errors)
        return Response(meetings.metrics_body(filters))
