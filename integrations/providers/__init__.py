"""The provider adapters, by the provider name in /hooks/<provider>/<slug>/."""

from __future__ import annotations

from integrations.providers.base import Adapter
from integrations.providers.calcom import CalcomAdapter
from integrations.providers.calendly import CalendlyAdapter
from integrations.providers.generic import GenericAdapter
from integrations.providers.google_ads import GoogleAdsAdapter
from integrations.providers.hubspot import HubSpotAdapter
from integrations.providers.linkedin import LinkedInAdapter
from integrations.providers.meta import MetaAdapter
from integrations.providers.typeform import TypeformAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    adapter.provider: adapter
    for adapter in (
        MetaAdapter,
        TypeformAdapter,
        HubSpotAdapter,
        GoogleAdsAdapter,
        GenericAdapter,
        LinkedInAdapter,
        CalendlyAdapter,
        CalcomAdapter,
    )
}


def adapter_for(provider: str) -> Adapter:
    return ADAPTERS[provider]()
