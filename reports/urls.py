"""URLs of the leadership pages and the metrics API (reports/dashboard.py)."""

from django.urls import path

from reports import dashboard, my_stats

urlpatterns = [
    path("queue/stats/", my_stats.my_stats, name="workspace-stats"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/breaches.json", dashboard.breaches, name="dashboard-breaches"),
    path("dashboard/export/<slug:table>.csv", dashboard.export_csv, name="dashboard-export"),
    path("dashboard/roi/", dashboard.roi_page, name="dashboard-roi"),
    path("dashboard/import/", dashboard.admin_import_page, name="dashboard-import"),
    path("api/v1/metrics/sla", dashboard.SlaMetrics.as_view(), name="metrics-sla"),
]
