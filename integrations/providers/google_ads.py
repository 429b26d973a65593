"""Google Ads lead form extensions: a JSON body carrying the `google_key` set in the form's
webhook settings (we keep its hash); the lead's answers are `user_column_data`
({column_id, string_value}); `lead_id` dedupes; `is_test` leads are stored as junk
("test lead"): never routed, acknowledged or counted.

Google puts its key inside the body, so the body is read as JSON to find the key - and
nothing else is looked at, and nothing stored, until the key matches."""

from __future__ import annotations

import json

from integrations.providers.base import Adapter, Incoming, PayloadError, text

IDS = ("form_id", "campaign_id", "adgroup_id", "creative_id", "gcl_id", "asset_group_id", "api_version")


class GoogleAdsAdapter(Adapter):
    provider = "google-ads"

    def verify(self, request, body, connection):
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return "the body is not JSON, so it has no google_key"
        key = payload.get("google_key") if isinstance(payload, dict) else None
        if not isinstance(key, str) or not key:
            return "no google_key in the body"
        if not connection.verify_key_matches(key):
            return "google_key does not match the connection's key"
        return ""

    def lead(self, payload, request):
        if not isinstance(payload, dict):
            raise PayloadError("Expected a Google Ads lead: {lead_id, user_column_data: [...], google_key}.")
        lead_id = text(payload.get("lead_id"))
        columns = payload.get("user_column_data")
        if not lead_id or not isinstance(columns, list):
            raise PayloadError("Expected a Google Ads lead: {lead_id, user_column_data: [...], google_key}.")
        document: dict = {}
        answers = {}
        for column in columns:
            if not isinstance(column, dict) or not isinstance(column.get("string_value"), str):
                continue
            column_id = text(column.get("column_id")) or text(column.get("column_name"))
            if column_id:
                document.setdefault(column_id, column["string_value"])
                answers[text(column.get("column_name")) or column_id] = column["string_value"]
        if isinstance(payload.get("lead_submit_time"), str):
            document["lead_submit_time"] = payload["lead_submit_time"]
        extra = {"google_ads": {key: text(payload.get(key)) for key in IDS if text(payload.get(key))}}
        extra["answers"] = answers
        test_lead = payload.get("is_test") is True
        return Incoming(provider_id=lead_id, document=document, extra=extra, test_lead=test_lead)
