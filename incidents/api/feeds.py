"""API views of the feeds: the Admin role's (reads included)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from incidents import selectors
from incidents.api import docs
from incidents.api import serializers as s
from incidents.api.pagination import ByName
from incidents.api.permissions import ManagesModel
from incidents.models import Feed
from incidents.permissions import acting_user
from incidents.services import feeds as feed_services


class FeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """The feeds polled for articles, with their health: the Admin role's, reads included."""

    serializer_class = s.FeedSerializer
    permission_classes = [ManagesModel]
    pagination_class = ByName
    lookup_value_regex = "[0-9]+"
    action_permissions = {"poll": ["incidents.change_feed"]}

    def get_queryset(self) -> QuerySet[Feed]:
        return selectors.feed_list()

    @extend_schema(
        request=s.FeedWriteSerializer,
        responses={201: s.FeedSerializer, 400: docs.FEED_URL_REFUSED},
        examples=[docs.FEED_CREATE],
    )
    def create(self, request: Request) -> Response:
        """Add a feed, due now; a URL that fetching would refuse is a 400 saying why."""
        form = s.FeedWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        feed = feed_services.feed_add(created_by=acting_user(request), **form.validated_data)
        return Response(self.get_serializer(feed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.FeedWriteSerializer,
        responses={200: s.FeedSerializer, 400: docs.FEED_URL_REFUSED, 404: docs.NOT_FOUND},
        examples=[docs.FEED_PATCH],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        feed = self.get_object()
        form = s.FeedWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        feed_services.feed_update(feed=feed, **form.validated_data)
        return Response(self.get_serializer(feed).data)

    @extend_schema(responses={204: None, 404: docs.NOT_FOUND})
    def destroy(self, request: Request, pk: str) -> Response:
        """Remove the feed and the items it listed; the articles made from them stay."""
        feed_services.feed_delete(feed=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: s.FeedSerializer, 404: docs.NOT_FOUND})
    @action(detail=True, methods=["post"])
    def poll(self, request: Request, pk: str) -> Response:
        """Queue a poll of the feed now (disabled ones too: try a feed before enabling it)."""
        feed = self.get_object()
        feed_services.feed_poll_queue(feed=feed)
        return Response(self.get_serializer(feed).data, status=status.HTTP_202_ACCEPTED)
