"""/api/v1/: the router, the nested timeline, the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from incidents.api import feeds, subscriptions, triage, views

router = SimpleRouter()
router.register("auth/tokens", views.TokenViewSet, basename="token")  # list, revoke
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("articles", views.ArticleViewSet, basename="article")
router.register("candidates", triage.CandidateViewSet, basename="candidate")
router.register("feeds", feeds.FeedViewSet, basename="feed")
router.register("platforms", views.PlatformViewSet, basename="platform")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("tags", views.TagViewSet, basename="tag")

timeline = views.TimelineEventViewSet.as_view({"get": "list", "post": "create"})
timeline_event = views.TimelineEventViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
timeline_source = views.TimelineEventViewSet.as_view({"delete": "remove_source"})

app_name = "api"
urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("me/subscription/", subscriptions.SubscriptionView.as_view(), name="me-subscription"),
    path("incidents/<slug:incident_slug>/timeline/", timeline, name="timeline-list"),
    path(
        "incidents/<slug:incident_slug>/timeline/<int:pk>/", timeline_event, name="timeline-detail"
    ),
    path(
        "incidents/<slug:incident_slug>/timeline/<int:pk>/sources/<int:article>/",
        timeline_source,
        name="timeline-source",
    ),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api:schema", permission_classes=[], template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
