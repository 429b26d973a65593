"""URLs of the leadership pages, the rep's own stats and the metrics API."""

from django.urls import path

from reports import api, dashboard, exports, history_import, my_stats, roi_page

urlpatterns = [
    path("queue/stats/", my_stats.my_stats, name="workspace-stats"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/breaches.json", dashboard.breaches, name="dashboard-breaches"),
    path("dashboard/export/<slug:table>.csv", exports.export_csv, name="dashboard-export"),
    path("dashboard/roi/", roi_page.roi_page, name="dashboard-roi"),
    path("dashboard/import/", history_import.admin_import_page, name="dashboard-import"),
    path("api/v1/metrics/sla", api.SlaMetrics.as_view(), name="metrics-sla"),
]
