"""API views: parse the request, call a service or a selector, shape the response."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponsePermanentRedirect, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.viewsets import GenericViewSet

from incidents import selectors, services
from incidents.api import docs
from incidents.api import serializers as s
from incidents.api.errors import LoginLockedOut
from incidents.api.exports.csv import CSVRenderer, incidents_csv
from incidents.api.exports.stix import incident_stix_bundle
from incidents.api.exports.veris import incident_veris
from incidents.api.filters import ArticleFilter, IncidentFilter
from incidents.api.idempotency import idempotent
from incidents.api.pagination import NewestFirst
from incidents.api.preconditions import check_if_match, incident_etag
from incidents.history import history_for
from incidents.models import ApiToken, Article, Incident, Organization, Platform, Tag, TimelineEvent
from incidents.permissions import acting_user
from incidents.tokens import api_token_issue, api_token_revoke

# --- Auth -----------------------------------------------------------------------------------


class TokenObtainView(GenericAPIView):
    """Exchange a username and password for a personal API token (shown once)."""

    serializer_class = s.TokenRequestSerializer
    permission_classes = [AllowAny]
    throttle_scope = "login"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            201: s.TokenIssuedSerializer,
            400: docs.INVALID,
            401: docs.WRONG_PASSWORD,
            429: docs.LOCKED_OUT,
        },
        examples=[docs.TOKEN_REQUEST, docs.TOKEN_ISSUED],
    )
    def post(self, request: Request) -> Response:
        form = s.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        # django-axes counts the failure and flags the request once the limit is reached.
        if getattr(request, "axes_locked_out", False):
            raise LoginLockedOut
        if user is None or not user.is_active:
            raise AuthenticationFailed("Wrong username or password.")
        token, key = api_token_issue(user=user, name=form.validated_data["name"])
        body = {"token": key, "expires_at": token.expires_at}
        return Response(s.TokenIssuedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenViewSet(GenericViewSet):
    """Your personal API tokens: list and revoke them."""

    serializer_class = s.ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[0-9]+"
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ApiToken.objects.none()
        # Scoped to the caller: another user's token is a 404, not a 403.
        return ApiToken.objects.filter(user=acting_user(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def destroy(self, request: Request, pk: int) -> Response:
        api_token_revoke(token=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Catalogue ------------------------------------------------------------------------------


class PlatformViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Platform.objects.select_related("vendor").order_by("slug")
    serializer_class = s.PlatformSerializer
    lookup_field = "slug"
    pagination_class = None


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Organization.objects.order_by("slug")
    serializer_class = s.OrganizationSerializer
    lookup_field = "slug"
    pagination_class = None


class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Tag.objects.order_by("slug")
    serializer_class = s.TagSerializer
    lookup_field = "slug"
    pagination_class = None


# --- Incidents ------------------------------------------------------------------------------


def _incident_fields(data: dict) -> dict:
    """Validated API fields as the incident services take them."""
    fields = dict(data)
    if "occurred_on" in fields:
        fields["occurred"] = fields.pop("occurred_on")
    return fields


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    GenericViewSet,
):
    """Incidents: list and filter, file, read with timeline and sources, edit, move, delete."""

    lookup_field = "slug"
    filterset_class = IncidentFilter
    action_permissions = {
        "transition": ["incidents.change_incident"],
        "history": ["incidents.view_incident"],
        "stix": ["incidents.view_incident"],
        "veris": ["incidents.view_incident"],
    }

    def get_queryset(self) -> QuerySet[Incident]:
        if self.action == "list":
            return selectors.incident_list()
        return selectors.incident_detail()

    def get_serializer_class(self):
        return s.IncidentSerializer if self.action == "list" else s.IncidentDetailSerializer

    def get_renderers(self):
        # Only the list exports CSV; every other answer is JSON.
        renderers = super().get_renderers()
        return [*renderers, CSVRenderer()] if self.action == "list" else renderers

    def list(self, request: Request, *args, **kwargs):
        """Incidents matching the filters; ``?format=csv`` exports all of them as CSV."""
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        incidents = self.filter_queryset(self.get_queryset()).order_by("-updated_at", "-id")
        response = StreamingHttpResponse(incidents_csv(incidents), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="incidents.csv"'
        return response

    def _detail(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.incident_detail().get(pk=incident.pk)
        response = Response(s.IncidentDetailSerializer(fresh).data, status=code)
        response["ETag"] = incident_etag(fresh)
        return response

    def _locked(self) -> Incident:
        """The incident of this URL, its row locked until the transaction ends, If-Match checked."""
        incident = self.get_object()
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        check_if_match(self.request, locked)
        return locked

    def retrieve(self, request: Request, slug: str) -> Response:
        incident = self.get_object()
        if incident.merged_into_id is not None:
            # A merged duplicate's address leads to the incident that absorbed it.
            target = request.build_absolute_uri(f"../{incident.merged_into_slug}/")
            return HttpResponsePermanentRedirect(target)
        etag = incident_etag(incident)
        if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(incident).data, headers={"ETag": etag})

    @extend_schema(
        request=s.IncidentWriteSerializer,
        responses={201: s.IncidentDetailSerializer, 400: docs.INVALID, 422: docs.KEY_REUSED},
        examples=[docs.INCIDENT_CREATE],
    )
    def create(self, request: Request) -> Response:
        """File an incident; send an ``Idempotency-Key`` header to retry safely."""

        def file() -> Response:
            form = s.IncidentWriteSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            incident = services.incident_create(
                created_by=acting_user(request), **_incident_fields(form.validated_data)
            )
            return self._detail(incident, status.HTTP_201_CREATED)

        return idempotent(request, user=acting_user(request), scope="incident.create", produce=file)

    @extend_schema(
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentDetailSerializer, 400: docs.INVALID, 412: docs.STALE},
        examples=[docs.INCIDENT_PATCH],
    )
    def partial_update(self, request: Request, slug: str) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentDetailSerializer, 400: docs.INVALID, 412: docs.STALE},
    )
    def update(self, request: Request, slug: str) -> Response:
        return self._update(request, partial=False)

    def _update(self, request: Request, *, partial: bool) -> Response:
        form = s.IncidentUpdateSerializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        with transaction.atomic():
            incident = self._locked()
            services.incident_update(
                incident=incident,
                updated_by=acting_user(request),
                **_incident_fields(form.validated_data),
            )
        return self._detail(incident)

    def destroy(self, request: Request, slug: str) -> Response:
        with transaction.atomic():
            services.incident_delete(incident=self._locked())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.TransitionSerializer,
        responses={
            200: s.IncidentDetailSerializer,
            400: docs.INVALID,
            409: docs.REFUSED_MOVE,
            412: docs.STALE,
        },
        examples=[docs.TRANSITION, docs.TRANSITION_REJECT],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, slug: str) -> Response:
        """Move the incident along the workflow; a refused move is a 409 naming the allowed ones."""
        form = s.TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with transaction.atomic():
            incident = self._locked()
            services.incident_move(
                incident=incident,
                to_status=data["to"],
                rejection_reason=data.get("rejection_reason"),
                merged_into=data.get("merged_into"),
                note=data["note"],
                actor=acting_user(request),
            )
        return self._detail(incident)

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer])
    def stix(self, request: Request, slug: str) -> HttpResponse:
        """The incident as a STIX 2.1 bundle (incident, identities, reports, notes)."""
        incident = get_object_or_404(selectors.incident_export(), pk=self.get_object().pk)
        bundle = incident_stix_bundle(incident)
        return HttpResponse(bundle.serialize(pretty=False), content_type="application/json")

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer])
    def veris(self, request: Request, slug: str) -> Response:
        """The incident as a VERIS 1.4 record (the VERIS community schema validates it)."""
        incident = get_object_or_404(selectors.incident_export(), pk=self.get_object().pk)
        return Response(incident_veris(incident))

    @extend_schema(responses=s.HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, slug: str) -> Response:
        """Who changed what and when, for the incident and its timeline, sources and links."""
        return Response(history_for(self.get_object()))


class TimelineEventViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, mixins.RetrieveModelMixin, GenericViewSet
):
    """The dated timeline of one incident."""

    serializer_class = s.TimelineEventSerializer
    pagination_class = None
    action_permissions = {"remove_source": ["incidents.delete_citation"]}

    def _incident(self) -> Incident:
        return get_object_or_404(Incident, slug=self.kwargs["incident_slug"])

    def get_queryset(self) -> QuerySet[TimelineEvent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return TimelineEvent.objects.none()
        return selectors.incident_timeline(incident=self._incident()).order_by("date", "id")

    @extend_schema(
        request=s.TimelineEventWriteSerializer,
        responses={201: s.TimelineEventSerializer, 400: docs.INVALID, 404: docs.NOT_FOUND},
        examples=[docs.TIMELINE_EVENT],
    )
    def create(self, request: Request, incident_slug: str) -> Response:
        form = s.TimelineEventWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        event = services.timeline_event_create(
            incident=self._incident(),
            when=data["date"],
            kind=data["kind"],
            description=data["description"],
            citations=[services.CitationInput(c["article"], c["quote"]) for c in data["sources"]],
            created_by=acting_user(request),
        )
        fresh = self.get_queryset().get(pk=event.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TimelineEventWriteSerializer, responses=s.TimelineEventSerializer)
    def partial_update(self, request: Request, incident_slug: str, pk: str) -> Response:
        event = self.get_object()
        form = s.TimelineEventWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.timeline_event_update(
            event=event,
            actor=acting_user(request),
            when=data.get("date"),
            kind=data.get("kind"),
            description=data.get("description"),
        )
        for citation in data.get("sources", []):
            services.citation_add(
                event=event,
                article=citation["article"],
                quote=citation["quote"],
                actor=acting_user(request),
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=event.pk)).data)

    def perform_destroy(self, instance: TimelineEvent) -> None:
        services.timeline_event_delete(event=instance, actor=acting_user(self.request))

    @extend_schema(request=None, responses={204: None})
    def remove_source(
        self, request: Request, incident_slug: str, pk: int, article: int
    ) -> Response:
        """Stop citing an article for this event (404 when it was not cited)."""
        event = self.get_object()
        cited = get_object_or_404(Article, pk=article)
        if not services.citation_remove(event=event, article=cited, actor=acting_user(request)):
            return Response(
                {"error": "not_found", "detail": "This event does not cite that article."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Articles -------------------------------------------------------------------------------


class ArticleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Articles: the sources; stored once and linked to any number of incidents."""

    filterset_class = ArticleFilter
    action_permissions = {
        "link": ["incidents.add_incidentsource"],
        "unlink": ["incidents.delete_incidentsource"],
        # Files an incident, links the article, dismisses its queued suggestions.
        "create_incident": [
            "incidents.add_incident",
            "incidents.add_incidentsource",
            "incidents.change_linkcandidate",
        ],
    }

    def get_queryset(self) -> QuerySet[Article]:
        return selectors.article_list()

    def get_serializer_class(self):
        return s.ArticleSerializer

    @extend_schema(
        request=s.ArticleWriteSerializer,
        responses={201: s.ArticleSerializer, 400: docs.INVALID},
        examples=[docs.ARTICLE],
    )
    def create(self, request: Request) -> Response:
        form = s.ArticleWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data["published"] = data.pop("published_on", None)
        article = services.article_create(created_by=acting_user(request), **data)
        fresh = self.get_queryset().get(pk=article.pk)
        return Response(s.ArticleSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.IncidentLinkSerializer,
        responses={200: s.ArticleSerializer, 400: docs.INVALID},
        examples=[docs.LINK],
    )
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: str) -> Response:
        """Make the article a source of an incident (linking twice changes nothing)."""
        return self._relink(request, services.incident_link_article, actor_name="linked_by")

    @extend_schema(request=s.IncidentLinkSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"])
    def unlink(self, request: Request, pk: str) -> Response:
        """Stop counting the article as a source of an incident; refused while cited (409)."""
        return self._relink(request, services.incident_unlink_article, actor_name="actor")

    def _relink(self, request: Request, service, *, actor_name: str) -> Response:
        article = self.get_object()
        form = s.IncidentLinkSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident = form.validated_data["incident"]
        service(incident=incident, article=article, **{actor_name: acting_user(request)})
        return Response(s.ArticleSerializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(
        request=s.IncidentFromArticleSerializer,
        responses={201: s.IncidentDetailSerializer, 400: docs.INVALID, 404: docs.NOT_FOUND},
        examples=[docs.CREATE_INCIDENT],
    )
    @action(detail=True, methods=["post"], url_path="create-incident")
    def create_incident(self, request: Request, pk: str) -> Response:
        """File a new incident with this article as its source; its queued suggestions are
        dismissed (the article is about the new incident, not those suggested)."""
        article = self.get_object()
        form = s.IncidentFromArticleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident = services.incident_from_article(
            article=article, actor=acting_user(request), **_incident_fields(form.validated_data)
        )
        fresh = selectors.incident_detail().get(pk=incident.pk)
        response = Response(s.IncidentDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)
        response["ETag"] = incident_etag(fresh)
        return response
