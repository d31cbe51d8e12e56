"""API views of the triage queue: list the suggested links, accept or dismiss them."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from incidents import selectors, services
from incidents.api import docs
from incidents.api import serializers as s
from incidents.api.filters import CandidateFilter
from incidents.api.pagination import MostLikelyFirst
from incidents.models import LinkCandidate
from incidents.permissions import acting_user

# Deciding a suggestion; accepting one also links its article to the incident.
_DECIDE = ["incidents.change_linkcandidate"]
_ACCEPT = [*_DECIDE, "incidents.add_incidentsource"]


class CandidateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """The triage queue: links between new articles and incidents that the system suggests;
    an analyst accepts (the article becomes a source) or dismisses each, once."""

    serializer_class = s.CandidateSerializer
    filterset_class = CandidateFilter
    pagination_class = MostLikelyFirst
    lookup_value_regex = "[0-9]+"
    action_permissions = {
        "accept": _ACCEPT,
        "dismiss": _DECIDE,
        "accept_many": _ACCEPT,
        "dismiss_many": _DECIDE,
    }

    def get_queryset(self) -> QuerySet[LinkCandidate]:
        return selectors.candidate_list()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The filters (queued by default) shape the list; a candidate's address finds it decided.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _answer(self, candidate: LinkCandidate) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=candidate.pk)).data)

    @extend_schema(
        request=None,
        responses={200: s.CandidateSerializer, 404: docs.NOT_FOUND, 409: docs.ALREADY_DECIDED},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Link the article to the incident; a candidate decided already is a 409."""
        candidate = services.candidate_accept(
            candidate=self.get_object(), actor=acting_user(request)
        )
        return self._answer(candidate)

    @extend_schema(
        request=s.CandidateDismissSerializer,
        responses={
            200: s.CandidateSerializer,
            400: docs.INVALID,
            404: docs.NOT_FOUND,
            409: docs.ALREADY_DECIDED,
        },
        examples=[docs.CANDIDATE_DISMISS],
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str) -> Response:
        """Dismiss the suggestion, saying why (the reason stays on it)."""
        candidate = self.get_object()
        form = s.CandidateDismissSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        candidate = services.candidate_dismiss(
            candidate=candidate, actor=acting_user(request), reason=form.validated_data["reason"]
        )
        return self._answer(candidate)

    @extend_schema(
        operation_id="candidates_accept_many",
        request=s.CandidateIdsSerializer,
        responses={200: s.TriageReportSerializer, 400: docs.INVALID},
        examples=[docs.CANDIDATES_ACCEPT, docs.CANDIDATES_DECIDED],
    )
    @action(detail=False, methods=["post"], url_path="accept", filter_backends=[])
    def accept_many(self, request: Request) -> Response:
        """Accept several candidates; those decided already are skipped and listed."""
        form = s.CandidateIdsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = services.candidates_accept(
            ids=form.validated_data["ids"], actor=acting_user(request)
        )
        return Response(s.TriageReportSerializer(report).data)

    @extend_schema(
        operation_id="candidates_dismiss_many",
        request=s.CandidatesDismissSerializer,
        responses={200: s.TriageReportSerializer, 400: docs.INVALID},
        examples=[docs.CANDIDATES_DISMISS, docs.CANDIDATES_DECIDED],
    )
    @action(detail=False, methods=["post"], url_path="dismiss", filter_backends=[])
    def dismiss_many(self, request: Request) -> Response:
        """Dismiss several candidates with one reason; those decided already are skipped."""
        form = s.CandidatesDismissSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = services.candidates_dismiss(
            ids=form.validated_data["ids"],
            actor=acting_user(request),
            reason=form.validated_data["reason"],
        )
        return Response(s.TriageReportSerializer(report).data)
