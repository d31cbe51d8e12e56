"""Top-level URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from incidents.feeds.atom import PublicIncidentsFeed
from tracker import health
from tracker.observability.endpoint import metrics

admin.site.site_header = "vcwatch"
admin.site.site_title = "vcwatch"
admin.site.index_title = "Video-conferencing security incidents"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("incidents.api.urls")),
    path("digests/", include("incidents.digests.urls")),
    path("feeds/incidents.atom", PublicIncidentsFeed(), name="incidents-feed"),
]

handler404 = "tracker.errors.not_found"
handler500 = "tracker.errors.server_error"
