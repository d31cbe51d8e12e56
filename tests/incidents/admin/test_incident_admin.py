"""The analyst's workflow in the admin: file, date, cite, move, merge, and see the history."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Article, Citation, Incident, TimelineEvent
from tests.factories import ArticleFactory, IncidentFactory, PlatformFactory
from tests.incidents.admin.helpers import management_data

Status = Incident.Status
ADD = reverse("admin:incidents_incident_add")
CHANGELIST = reverse("admin:incidents_incident_changelist")


def _transition_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_transition", args=[incident.pk])


@pytest.mark.django_db
def test_analyst_files_an_incident_with_timeline_events_inline(client, analyst):
    platform = PlatformFactory(slug="zoom")
    client.force_login(analyst)
    page = client.get(ADD)
    data = {
        **management_data(page, timeline=2),
        "title": "Intruders in a city council meeting",
        "slug": "council-meeting-intrusion",
        "summary": "Uninvited participants disrupted a public meeting.",
        "category": "intrusion",
        "severity": "high",
        "occurred_on": "2020-04",
        "platforms": [platform.pk],
        "timeline-0-date": "2020-04",
        "timeline-0-kind": "report",
        "timeline-0-description": "Council reports the intrusion.",
        "timeline-1-date": "2020-04-02",
        "timeline-1-kind": "response",
        "timeline-1-description": "Meeting moved behind a waiting room.",
        "_save": "Save",
    }
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get(slug="council-meeting-intrusion")
    assert incident.occurred.isoformat() == "2020-04"
    assert (incident.status, incident.created_by, incident.updated_by) == (
        Status.REPORTED,
        analyst,
        analyst,
    )
    assert [(e.when.isoformat(), e.kind, e.created_by) for e in incident.timeline.all()] == [
        ("2020-04", "report", analyst),
        ("2020-04-02", "response", analyst),
    ]
    # The change page shows the date at its precision.
    change = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert change.context["adminform"].form.initial["occurred_on"] == "2020-04"


@pytest.mark.django_db
def test_bad_dates_are_form_errors_and_nothing_is_saved(client, analyst):
    client.force_login(analyst)
    page = client.get(ADD)
    data = {
        **management_data(page, timeline=1),
        "title": "Bad dates",
        "slug": "bad-dates",
        "category": "intrusion",
        "severity": "high",
        "occurred_on": "2020-02-30",
        "timeline-0-date": "2999",
        "timeline-0-kind": "report",
        "timeline-0-description": "From the future.",
    }
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert "not a date on the calendar" in str(response.context["adminform"].form.errors)
    assert not Incident.objects.filter(slug="bad-dates").exists()


@pytest.mark.django_db
def test_status_change_cannot_be_typed_into_the_timeline(client, analyst):
    client.force_login(analyst)
    page = client.get(ADD)
    data = {
        **management_data(page, timeline=1),
        "title": "Sneaky",
        "slug": "sneaky",
        "category": "other",
        "severity": "low",
        "timeline-0-date": "2020",
        "timeline-0-kind": "status_change",
        "timeline-0-description": "Pretend it was resolved.",
    }
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert not Incident.objects.filter(slug="sneaky").exists()


@pytest.mark.django_db
def test_change_page_offers_the_allowed_moves(client, analyst):
    incident = IncidentFactory()
    client.force_login(analyst)
    response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert [s for s, _ in response.context["allowed_transitions"]] == [
        "investigating",
        "confirmed",
        "rejected",
    ]
    assert f"{_transition_url(incident)}?to=confirmed" in response.content.decode()


@pytest.mark.django_db
def test_analyst_moves_an_incident_from_its_page(client, analyst):
    incident = IncidentFactory()
    client.force_login(analyst)
    page = client.get(_transition_url(incident) + "?to=confirmed")
    assert page.status_code == 200
    offered = [value for value, _ in page.context["form"].fields["to_status"].choices]
    assert offered == ["investigating", "confirmed", "rejected"]
    assert page.context["form"].initial["to_status"] == "confirmed"
    response = client.post(
        _transition_url(incident), {"to_status": "confirmed", "note": "Two sources agree."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CONFIRMED
    move = incident.timeline.get(kind=TimelineEvent.Kind.STATUS_CHANGE)
    assert (move.description, move.created_by) == ("Two sources agree.", analyst)


@pytest.mark.django_db
def test_an_illegal_move_is_refused_with_a_message_and_nothing_saved(client, analyst):
    incident = IncidentFactory()
    client.force_login(analyst)
    response = client.post(_transition_url(incident), {"to_status": "resolved"})
    assert response.status_code == 200
    errors = str(response.context["form"].errors)
    assert "cannot move from reported to resolved" in errors
    assert "investigating, confirmed, rejected" in errors
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_rejecting_without_a_reason_is_a_form_error(client, analyst):
    incident = IncidentFactory()
    client.force_login(analyst)
    response = client.post(_transition_url(incident), {"to_status": "rejected"})
    assert response.status_code == 200
    assert "rejection_reason" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


@pytest.mark.django_db
def test_analyst_merges_a_duplicate_from_its_page(client, analyst):
    survivor, duplicate = IncidentFactory(), IncidentFactory()
    client.force_login(analyst)
    response = client.post(
        _transition_url(duplicate),
        {"to_status": "rejected", "rejection_reason": "duplicate", "merged_into": survivor.slug},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.REJECTED, survivor)


@pytest.mark.django_db
def test_merging_into_an_unknown_slug_is_a_form_error(client, analyst):
    duplicate = IncidentFactory()
    client.force_login(analyst)
    response = client.post(
        _transition_url(duplicate),
        {"to_status": "rejected", "rejection_reason": "duplicate", "merged_into": "no-such"},
    )
    assert response.status_code == 200
    assert "merged_into" in response.context["form"].errors
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REPORTED


@pytest.mark.django_db
def test_list_action_moves_what_it_may_and_refuses_the_rest(client, analyst):
    reported = IncidentFactory()
    resolved = IncidentFactory(status=Status.RESOLVED)
    client.force_login(analyst)
    response = client.post(
        CHANGELIST,
        {"action": "move_to_confirmed", "_selected_action": [reported.pk, resolved.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert f"Moved to confirmed: {reported.slug}." in messages
    assert any(f"{resolved.slug}: cannot move from resolved to confirmed" in m for m in messages)
    reported.refresh_from_db()
    resolved.refresh_from_db()
    assert (reported.status, resolved.status) == (Status.CONFIRMED, Status.RESOLVED)
    assert not resolved.timeline.exists()


@pytest.mark.django_db
def test_a_citation_with_a_quote_not_in_the_article_is_refused(client, analyst):
    incident = IncidentFactory()
    article = ArticleFactory(text="Intruders shared offensive images during the class.")
    event = TimelineEvent.objects.create(
        incident=incident, date="2020-03-01", date_precision="month", kind="report", description="x"
    )
    url = reverse("admin:incidents_timelineevent_change", args=[event.pk])
    client.force_login(analyst)
    page = client.get(url)
    base = {
        **management_data(page, citations=1),
        "incident": incident.pk,
        "date": "2020-03",
        "kind": "report",
        "description": "Intruders in a class.",
        "citations-0-article": article.pk,
    }
    bad = client.post(url, {**base, "citations-0-quote": "Nobody noticed."})
    assert bad.status_code == 200
    assert not Citation.objects.exists()
    good = client.post(url, {**base, "citations-0-quote": "shared offensive images"})
    assert good.status_code == 302
    assert Citation.objects.get().quote == "shared offensive images"
    assert list(incident.sources.all()) == [article]


@pytest.mark.django_db
def test_article_added_in_the_admin_gets_its_language_and_hash(client, analyst):
    client.force_login(analyst)
    url = reverse("admin:incidents_article_add")
    text = "Onbekende personen drongen binnen in een online les en toonden schokkende beelden."
    data = {
        **management_data(client.get(url)),
        "url": "",
        "title": "Les verstoord",
        "text": text,
        "published_on": "2020-04",
    }
    assert client.post(url, data).status_code == 302
    article = Article.objects.get()
    assert (article.language, article.url[:11], article.published.isoformat()) == (
        "nl",
        "urn:sha256:",
        "2020-04",
    )
    assert article.created_by == analyst


@pytest.mark.django_db
def test_duplicate_url_in_the_admin_is_a_field_error_and_nothing_is_lost(client, analyst):
    existing = ArticleFactory(url="https://news.example.org/a")
    client.force_login(analyst)
    add = reverse("admin:incidents_article_add")
    data = {
        **management_data(client.get(add)),
        "url": "https://news.example.org/a",
        "title": "Copy",
        "text": "A different text about meeting security in English.",
        "language": "en",
    }
    response = client.post(add, data)
    assert response.status_code == 200
    assert "already stored" in str(response.context["adminform"].form.errors["url"])
    assert list(Article.objects.all()) == [existing]


@pytest.mark.django_db
def test_history_shows_who_changed_what(client, analyst, superuser):
    incident = IncidentFactory()
    client.force_login(analyst)
    client.post(_transition_url(incident), {"to_status": "investigating"})
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_incident_history", args=[incident.pk]))
    rows = response.context["rows"]
    status_update = next(r for r in rows if (r["model"], r["action"]) == ("Incident", "update"))
    assert status_update["user"] == analyst.username
    assert {"field": "status", "old": "reported", "new": "investigating"} in status_update[
        "changes"
    ]
    assert any(
        (r["model"], r["action"], r["user"]) == ("TimelineEvent", "insert", analyst.username)
        for r in rows
    )


@pytest.mark.django_db
def test_status_changes_cannot_be_edited_or_deleted_in_the_admin(client, superuser, analyst):
    incident = IncidentFactory()
    other = TimelineEvent.objects.create(
        incident=incident, date="2020-03-01", date_precision="month", kind="note", description="n"
    )
    services.incident_transition(incident=incident, to_status="confirmed", actor=analyst)
    move = incident.timeline.get(kind=TimelineEvent.Kind.STATUS_CHANGE)
    client.force_login(superuser)
    change = reverse("admin:incidents_timelineevent_change", args=[move.pk])
    assert client.post(change, {"description": "rewritten"}).status_code == 403
    delete = reverse("admin:incidents_timelineevent_delete", args=[move.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:incidents_timelineevent_changelist"),
        {"action": "delete_selected", "_selected_action": [move.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 403  # a bulk delete that includes one is refused whole
    assert set(incident.timeline.all()) == {move, other}
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    status_inline = next(
        i for i in page.context["inline_admin_formsets"] if i.formset.prefix == "timeline-2"
    )
    assert not status_inline.formset.can_delete
