import os

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from leadops import views

handler404 = "leadops.views.page_not_found"  # JSON under /api/

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),  # sign in, out, password reset
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("leads.urls")),
    path("", include("leads.dashboard_urls")),
    path("", include("cadences.urls")),
]

# bench/intake.py compares intake with a bare one-row-insert view served by the same server.
if os.environ.get("LEADOPS_BENCH_BASELINE") == "1":
    from bench.baseline import baseline

    urlpatterns.append(path("bench/baseline", baseline))
