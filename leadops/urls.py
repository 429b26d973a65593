"""The project's URLs: each app brings its own (leads: intake and forms; workspace: the
rep's pages and lead API; reports: dashboards and metrics; cadences: inbound replies and
unsubscribe; integrations: /hooks/; booking: the lead's booking page; goals: leaderboard and
surveys; mailboxes: /mailbox/; pipeline: /healthz)."""

import os

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from leadops.accounts import PublicLinkPasswordResetView
from leadops.languages import switch_language

handler404 = "leadops.views.page_not_found"  # JSON under /api/

urlpatterns = [
    path("", include("pipeline.urls")),
    path("admin/whatif/", include("whatif.urls")),  # the change forms' "What if" (before the admin's catch-all)
    path("admin/", admin.site.urls),
    # Reset links on LEADOPS_PUBLIC_URL, whatever the Host header (before the stock route).
    path("accounts/password_reset/", PublicLinkPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),  # sign in, out, password reset
    path("language/", switch_language, name="switch-language"),  # the switcher (README "Languages")
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),  # the scripts' text (djangojs)
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("leads.urls")),
    path("", include("workspace.urls")),
    path("", include("reports.urls")),
    path("", include("cadences.urls")),
    path("", include("webpush.urls")),
    path("", include("board.urls")),
    path("", include("integrations.urls")),
    path("", include("booking.urls")),
    path("", include("mailboxes.urls")),
    path("", include("goals.urls")),
]

# bench/intake.py compares intake with a bare one-row-insert view served by the same server.
if os.environ.get("LEADOPS_BENCH_BASELINE") == "1":
    from bench.baseline import baseline

    urlpatterns.append(path("bench/baseline", baseline))
