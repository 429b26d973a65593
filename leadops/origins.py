"""Which pages may open LeadOps's websocket: an explicit list of origins
(settings.LEADOPS_WS_ALLOWED_ORIGINS: the public address plus configured ones), read at
each connection. A browser always sends Origin on a websocket handshake, so a handshake
without one, or with `Origin: null` (sandboxed frames, file: pages), is refused: neither
names a site we trust. ALLOWED_HOSTS is not used: it says which Host headers the server
answers, not which sites may act with a signed-in rep's cookie."""

from __future__ import annotations

from channels.security.websocket import OriginValidator
from django.conf import settings


class PublicOriginValidator(OriginValidator):
    def __init__(self, application):
        super().__init__(application, allowed_origins=())

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:  # no Origin header at all
            return False
        return any(
            pattern not in ("*", "null") and self.match_allowed_origin(parsed_origin, pattern)
            for pattern in settings.LEADOPS_WS_ALLOWED_ORIGINS
        )
