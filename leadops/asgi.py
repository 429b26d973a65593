"""ASGI entry point: HTTP and websockets in one process (development), or only `/ws/`
behind a proxy in production (SPEC §7).

Websockets: the session's user (AuthMiddlewareStack), and only from pages of the origins
LEADOPS_WS_ALLOWED_ORIGINS lists (leadops/origins.py), so another site cannot open a
signed-in rep's socket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from leadops.origins import PublicOriginValidator  # noqa: E402

# The websocket routes, named by a setting as ROOT_URLCONF names the HTTP ones.
websocket_urlpatterns = import_string(settings.WEBSOCKET_URLPATTERNS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": PublicOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
