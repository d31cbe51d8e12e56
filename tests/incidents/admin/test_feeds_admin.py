"""The feeds in the admin: added only if fetching would take the URL, managed by Admins."""

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Feed, FeedEntry

ADD = reverse("admin:incidents_feed_add")
CHANGELIST = reverse("admin:incidents_feed_changelist")


def _form(url: str) -> dict:
    return {"url": url, "name": "A feed", "language": "", "enabled": "on", "poll_interval": 3600}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://127.0.0.1:8000/feed", "loopback"),
        ("file:///etc/passwd", "scheme"),
        ("http://user:secret@example.com/feed", "credentials"),
    ],
)
def test_a_url_fetching_would_refuse_is_refused_with_the_reason(client, superuser, url, reason):
    client.force_login(superuser)
    response = client.post(ADD, _form(url))
    assert response.status_code == 200
    assert reason in str(response.context["adminform"].form.errors["url"])
    assert not Feed.objects.filter(name="A feed").exists()


@pytest.mark.django_db
def test_a_feed_at_a_public_address_is_added_canonical(client, superuser):
    client.force_login(superuser)
    response = client.post(ADD, _form("http://93.184.215.14/feed.xml?utm_source=x#top"))
    assert response.status_code == 302
    feed = Feed.objects.get(name="A feed")
    assert feed.url == "http://93.184.215.14/feed.xml"
    assert feed.created_by == superuser


@pytest.mark.django_db
def test_the_list_shows_health_and_the_actions_enable_and_disable(client, admin_user):
    client.force_login(admin_user)
    disabled = Feed.objects.filter(enabled=False).order_by("pk").first()  # a default feed
    failing = Feed.objects.create(
        url="https://example.org/failing.xml",
        name="Failing",
        consecutive_failures=3,
        last_error="HTTP 500 Internal Server Error",
    )
    page = client.get(CHANGELIST).content.decode()
    assert "Disabled" in page
    assert "Failing" in page
    assert "HTTP 500" in page
    client.post(CHANGELIST, {"action": "enable", "_selected_action": [disabled.pk]})
    disabled.refresh_from_db()
    assert disabled.enabled
    assert disabled.next_poll_at <= timezone.now()
    client.post(CHANGELIST, {"action": "disable", "_selected_action": [failing.pk]})
    failing.refresh_from_db()
    assert not failing.enabled


@pytest.mark.django_db
def test_an_analyst_reads_feeds_but_cannot_add_or_change_them(client, analyst):
    client.force_login(analyst)
    feed = Feed.objects.order_by("pk").first()
    assert client.get(CHANGELIST).status_code == 200
    assert client.post(ADD, _form("http://93.184.215.14/feed.xml")).status_code == 403
    change = reverse("admin:incidents_feed_change", args=[feed.pk])
    assert client.post(change, _form("http://93.184.215.14/x.xml")).status_code == 403
    client.post(CHANGELIST, {"action": "enable", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert not feed.enabled


@pytest.mark.django_db
def test_feed_entries_are_read_only(client, superuser):
    client.force_login(superuser)
    feed = Feed.objects.order_by("pk").first()
    entry = FeedEntry.objects.create(feed=feed, guid="a" * 64, title="Zoom story")
    change = reverse("admin:incidents_feedentry_change", args=[entry.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.get(reverse("admin:incidents_feedentry_add")).status_code == 403
