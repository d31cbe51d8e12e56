"""API serializers: read and write shapes are separate classes; writes go through services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import OptionalURLField, PartialDateField
from incidents.models import (
    ApiToken,
    Article,
    Feed,
    Incident,
    IncidentOrganization,
    LinkCandidate,
    Organization,
    Platform,
    Tag,
    TimelineEvent,
)
from incidents.models.feeds import MAX_POLL_INTERVAL, MIN_POLL_INTERVAL
from incidents.workflow import allowed_transitions

# How many candidates one bulk decision takes.
BULK_MAX = 500

# --- Catalogue ------------------------------------------------------------------------------


class PlatformSerializer(serializers.ModelSerializer):
    vendor = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    website = OptionalURLField()

    class Meta:
        model = Platform
        fields = ["slug", "name", "vendor", "aliases", "website"]


class OrganizationSerializer(serializers.ModelSerializer):
    website = OptionalURLField()

    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "aliases", "website"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


# --- Articles -------------------------------------------------------------------------------


class ArticleSummarySerializer(serializers.ModelSerializer):
    published_on = PartialDateField(source="published", allow_null=True, read_only=True)

    class Meta:
        model = Article
        fields = ["id", "url", "title", "publisher", "language", "published_on"]


class MatchedTermSerializer(serializers.Serializer):
    """A gazetteer term found in an article (incidents.ingestion.gazetteer.relevance_fields)."""

    key = serializers.CharField(help_text='What the term stands for: "platform:zoom".')
    term = serializers.CharField()
    kind = serializers.CharField(help_text="platform, organization or vocabulary.")
    count = serializers.IntegerField()
    in_title = serializers.BooleanField()


class ArticleCandidateSerializer(serializers.Serializer):
    """A queued suggestion to link the article to an incident (see ``candidates/``)."""

    id = serializers.IntegerField(help_text="The candidate's id, for candidates/{id}/accept/.")
    incident = serializers.CharField(help_text="The incident's slug.")
    confidence = serializers.FloatField(min_value=0, max_value=1)
    reasons = serializers.DictField(help_text="Why it was suggested.")


class ArticleSerializer(ArticleSummarySerializer):
    """An article as ``selectors.article_list`` annotates it."""

    incidents = serializers.ListField(
        child=serializers.CharField(),
        source="incident_slugs",
        read_only=True,
        help_text="Slugs of the incidents the article is a source of.",
    )
    candidates = ArticleCandidateSerializer(
        source="candidate_rows",
        many=True,
        read_only=True,
        help_text="Queued suggestions to link it, most likely first.",
    )
    relevance = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Video-conferencing security relevance in [0, 1]; null when not scored.",
    )
    matched_terms = MatchedTermSerializer(many=True, read_only=True)
    duplicate_of = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The article this one repeats, if any."
    )
    rank = serializers.FloatField(
        read_only=True,
        required=False,
        help_text="Relevance, on a search (q=) in no date order only.",
    )

    class Meta(ArticleSummarySerializer.Meta):
        fields = [
            *ArticleSummarySerializer.Meta.fields,
            "author",
            "text",
            "content_hash",
            "relevance",
            "matched_terms",
            "duplicate_of",
            "incidents",
            "candidates",
            "created_at",
            "updated_at",
            "rank",
        ]


class ArticleWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    title = serializers.CharField(max_length=500)
    text = serializers.CharField(max_length=2_000_000, trim_whitespace=False)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True)
    author = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(max_length=2, min_length=2, required=False)
    published_on = PartialDateField(required=False, allow_null=True)


class IncidentLinkSerializer(serializers.Serializer):
    incident = serializers.SlugRelatedField(slug_field="slug", queryset=Incident.objects.all())


class IncidentFromArticleSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Default: the article's."
    )
    category = serializers.ChoiceField(choices=Incident.Category.choices)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, required=False)
    summary = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    occurred_on = PartialDateField(required=False, allow_null=True)
    platforms = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Platform.objects.all(),
        required=False,
        help_text="Default: the platforms the article's relevance score found.",
    )
    tags = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Tag.objects.all(), required=False
    )
    public = serializers.BooleanField(required=False)


# --- Triage ---------------------------------------------------------------------------------


class CandidateSerializer(serializers.ModelSerializer):
    article = ArticleSummarySerializer(read_only=True)
    incident = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    reasons = serializers.DictField(read_only=True, help_text="Why it was suggested.")
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = LinkCandidate
        fields = [
            "id",
            "article",
            "incident",
            "incident_title",
            "confidence",
            "reasons",
            "status",
            "dismiss_reason",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class CandidateDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; kept on the candidate.")


class CandidateIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=BULK_MAX,
        help_text="Candidate ids.",
    )

    def validate_ids(self, ids: list[int]) -> list[int]:
        known = set(LinkCandidate.objects.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = sorted(set(ids) - known)
        if unknown:
            raise serializers.ValidationError(
                "No candidate has the id " + ", ".join(map(str, unknown)) + "."
            )
        return ids


class CandidatesDismissSerializer(CandidateIdsSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; kept on each candidate.")


class TriageReportSerializer(serializers.Serializer):
    decided = serializers.ListField(
        child=serializers.IntegerField(), help_text="Candidates decided by this request."
    )
    already_decided = serializers.ListField(
        child=serializers.IntegerField(), help_text="Candidates skipped: decided before."
    )
    not_found = serializers.ListField(
        child=serializers.IntegerField(), help_text="Candidates gone meanwhile (deleted)."
    )


# --- Feeds ----------------------------------------------------------------------------------


class FeedSerializer(serializers.ModelSerializer):
    health = serializers.ChoiceField(choices=Feed.Health.choices, read_only=True)

    class Meta:
        model = Feed
        fields = [
            "id",
            "url",
            "name",
            "language",
            "enabled",
            "poll_interval",
            "health",
            "next_poll_at",
            "last_polled_at",
            "last_success_at",
            "last_new_item_at",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FeedWriteSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=2048, help_text="http(s); checked as fetching checks it, stored canonical."
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    language = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 639-1 hint, or blank."
    )
    enabled = serializers.BooleanField(required=False)
    poll_interval = serializers.IntegerField(
        min_value=MIN_POLL_INTERVAL,
        max_value=MAX_POLL_INTERVAL,
        required=False,
        help_text="Seconds; adapted to the feed afterwards.",
    )


# --- Timeline -------------------------------------------------------------------------------


class CitationSerializer(serializers.Serializer):
    """One of the ``citation_rows`` the timeline selectors annotate."""

    article = serializers.IntegerField(read_only=True, help_text="The cited article's id.")
    quote = serializers.CharField(read_only=True)


class TimelineEventSerializer(serializers.ModelSerializer):
    date = PartialDateField(source="when", read_only=True)
    sources = CitationSerializer(source="citation_rows", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TimelineEvent
        fields = [
            "id",
            "date",
            "kind",
            "description",
            "from_status",
            "to_status",
            "sources",
            "created_by",
            "created_at",
        ]


class CitationWriteSerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    quote = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TimelineEventWriteSerializer(serializers.Serializer):
    date = PartialDateField()
    kind = serializers.ChoiceField(
        choices=[c for c in TimelineEvent.Kind.choices if c[0] != TimelineEvent.Kind.STATUS_CHANGE]
    )
    description = serializers.CharField(max_length=10_000)
    sources = CitationWriteSerializer(many=True, required=False, default=list)


# --- Incidents ------------------------------------------------------------------------------


class InvolvementSerializer(serializers.Serializer):
    organization = serializers.CharField(help_text="The organisation's slug.")
    role = serializers.ChoiceField(choices=IncidentOrganization.Role.choices)


class InvolvementWriteSerializer(serializers.Serializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all()
    )
    role = serializers.ChoiceField(choices=IncidentOrganization.Role.choices)


class IncidentSerializer(serializers.ModelSerializer):
    """An incident in a list; the selector annotates the related slugs in one query."""

    platforms = serializers.ListField(
        child=serializers.CharField(), source="platform_slugs", read_only=True
    )
    tags = serializers.ListField(child=serializers.CharField(), source="tag_slugs", read_only=True)
    related = serializers.ListField(
        child=serializers.CharField(), source="related_slugs", read_only=True
    )
    organizations = InvolvementSerializer(source="organization_roles", many=True, read_only=True)
    occurred_on = PartialDateField(source="occurred", allow_null=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    merged_into = serializers.CharField(source="merged_into_slug", read_only=True, allow_null=True)
    rank = serializers.FloatField(
        read_only=True, required=False, help_text="Relevance, on a search (q=) only."
    )

    class Meta:
        model = Incident
        fields = [
            "slug",
            "title",
            "summary",
            "platforms",
            "category",
            "severity",
            "status",
            "rejection_reason",
            "merged_into",
            "allowed_transitions",
            "occurred_on",
            "organizations",
            "related",
            "tags",
            "public",
            "created_at",
            "updated_at",
            "rank",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, incident: Incident) -> list[str]:
        if incident.merged_into_id is not None:
            return []
        return list(allowed_transitions(incident.status))


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEventSerializer(many=True, read_only=True)
    sources = ArticleSummarySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline", "sources"]


class IncidentWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.RegexField(r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100, required=False)
    summary = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Incident.Category.choices)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, required=False)
    occurred_on = PartialDateField(required=False, allow_null=True)
    platforms = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Platform.objects.all(), required=False
    )
    tags = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Tag.objects.all(), required=False
    )
    organizations = InvolvementWriteSerializer(many=True, required=False)
    related = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Incident.objects.all(), required=False
    )
    public = serializers.BooleanField(required=False)

    def validate_organizations(self, value: list[dict]) -> list[tuple[Organization, str]]:
        # A partial update (PATCH) does not enforce the nested fields: check them here.
        if any("organization" not in item or "role" not in item for item in value):
            raise serializers.ValidationError("Give each organisation's slug and role.")
        return [(item["organization"], item["role"]) for item in value]


class IncidentUpdateSerializer(IncidentWriteSerializer):
    """The same fields, without the slug: an incident's address does not change."""

    slug = None


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Incident.Status.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    rejection_reason = serializers.ChoiceField(
        choices=Incident.RejectionReason.choices, required=False, allow_null=True
    )
    merged_into = serializers.SlugRelatedField(
        slug_field="slug", queryset=Incident.objects.all(), required=False, allow_null=True
    )


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    """One recorded change (see incidents.history)."""

    at = serializers.DateTimeField()
    model = serializers.CharField()
    action = serializers.CharField()
    object_id = serializers.CharField(allow_null=True)
    user = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    changes = HistoryChangeSerializer(many=True)


# --- Tokens ---------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenIssuedSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
