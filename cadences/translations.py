"""The managers' Malay and Indonesian versions of the acknowledgment, handed to
leads/acknowledgments.py (which cannot import this app) through its registry."""

from __future__ import annotations

from cadences.models import AcknowledgmentTranslation


def acknowledgment_version(kind: str, language: str) -> tuple[str, str] | None:
    row = (
        AcknowledgmentTranslation.objects.filter(kind=kind, language=language, active=True)
        .values_list("subject", "body")
        .first()
    )
    return (row[0], row[1]) if row else None
