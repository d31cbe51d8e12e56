"""The feeds API: the Admin role's only, reads included; URLs checked as fetching checks them;
a poll queued after the request's transaction commits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.api import docs
from incidents.models import Feed
from incidents.services import feeds as feed_services

URL = "/api/v1/feeds/"
# A public address: the URL check resolves nothing, and refuses no global address.
PUBLIC = "http://93.184.215.14/feed.xml"


@pytest.fixture
def feed(db):
    return Feed.objects.create(url="http://93.184.215.15/rss", name="Example News")


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The feed ids whose poll was sent to the broker."""
    sent: list[int] = []
    monkeypatch.setattr(feed_services.feed_poll_task, "delay", sent.append)
    return sent


def _feeds() -> list[tuple]:
    return list(Feed.objects.order_by("pk").values_list("url", "name", "enabled", "poll_interval"))


@pytest.mark.django_db
def test_an_admin_adds_a_feed_stored_canonical_and_due_now(as_admin, admin_user):
    body = {"url": PUBLIC + "?utm_source=x#top", "name": "Tested", "language": "NL"}
    response = as_admin.post(URL, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["url"], data["name"], data["language"]) == (PUBLIC, "Tested", "nl")
    assert (data["enabled"], data["poll_interval"], data["health"]) == (True, 3600, "new")
    assert data["consecutive_failures"] == 0
    assert data["last_success_at"] is None
    feed = Feed.objects.get(pk=data["id"])
    assert feed.created_by == admin_user
    assert feed.next_poll_at <= timezone.now()


@pytest.mark.django_db
def test_a_feed_may_be_added_disabled_with_its_interval(as_admin):
    body = {"url": PUBLIC, "enabled": False, "poll_interval": 600}
    data = as_admin.post(URL, body).json()
    assert (data["enabled"], data["poll_interval"], data["health"]) == (False, 600, "disabled")
    assert data["name"] == PUBLIC


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
def test_a_url_fetching_would_refuse_is_400_saying_why(as_admin, url, reason):
    before = _feeds()
    response = as_admin.post(URL, {"url": url})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert reason in body["fields"]["url"][0]
    assert _feeds() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": PUBLIC, "poll_interval": 60}, "poll_interval"),
        ({"url": PUBLIC, "poll_interval": 10**9}, "poll_interval"),
        ({"url": PUBLIC, "language": "dutch"}, "language"),
        ({"url": PUBLIC, "language": "1x"}, "language"),
    ],
)
def test_bad_feed_fields_are_400_and_add_nothing(as_admin, body, field):
    before = _feeds()
    response = as_admin.post(URL, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert _feeds() == before


@pytest.mark.django_db
def test_a_feed_already_added_is_400(as_admin, feed):
    before = _feeds()
    response = as_admin.post(URL, {"url": feed.url + "?utm_campaign=y"})
    assert response.status_code == 400
    assert "already a feed" in response.json()["fields"]["url"][0]
    assert _feeds() == before


@pytest.mark.django_db
def test_the_add_feed_example_is_valid_input(as_admin, monkeypatch):
    # The example's host is resolved by the URL check: here, to a public address.
    monkeypatch.setattr(feed_services, "feed_create", _create_without_resolving)
    response = as_admin.post(URL, docs.FEED_CREATE.value)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == docs.FEED_CREATE.value["name"]


def _create_without_resolving(*, url: str, name: str, language: str, created_by) -> Feed:
    return Feed.objects.create(url=url, name=name, language=language, created_by=created_by)


@pytest.mark.django_db
def test_an_admin_lists_and_reads_feeds_with_their_health(as_admin, feed):
    failing = Feed.objects.create(
        url="https://failing.example.org/rss",
        name="Failing",
        consecutive_failures=3,
        last_error="HTTP 500",
        last_error_at=timezone.now(),
    )
    names = [f["name"] for f in as_admin.get(URL, {"page_size": 100}).json()["results"]]
    assert names == sorted(names)
    assert {"Example News", "Failing"} <= set(names)
    data = as_admin.get(f"{URL}{failing.pk}/").json()
    assert (data["health"], data["last_error"], data["consecutive_failures"]) == (
        "failing",
        "HTTP 500",
        3,
    )
    assert data["last_error_at"]
    assert as_admin.get(f"{URL}{feed.pk}/").json()["health"] == "new"


@pytest.mark.django_db
def test_an_admin_changes_a_feed(as_admin, feed):
    response = as_admin.patch(f"{URL}{feed.pk}/", docs.FEED_PATCH.value)
    assert response.status_code == 200, response.json()
    assert (response.json()["enabled"], response.json()["health"]) == (False, "disabled")
    Feed.objects.filter(pk=feed.pk).update(etag='"v1"')
    changed = as_admin.patch(
        f"{URL}{feed.pk}/", {"url": PUBLIC, "name": "Renamed", "poll_interval": 900}
    )
    assert changed.status_code == 200, changed.json()
    feed.refresh_from_db()
    assert (feed.url, feed.name, feed.poll_interval, feed.etag) == (PUBLIC, "Renamed", 900, "")
    enabled_at = timezone.now()
    as_admin.patch(f"{URL}{feed.pk}/", {"enabled": True})
    feed.refresh_from_db()
    assert feed.enabled
    assert feed.next_poll_at >= enabled_at  # due now


@pytest.mark.django_db
def test_a_change_to_a_refused_or_taken_url_is_400_and_changes_nothing(as_admin, feed):
    other = Feed.objects.create(url=PUBLIC, name="Other")
    before = _feeds()
    refused = as_admin.patch(f"{URL}{feed.pk}/", {"url": "http://10.0.0.1/rss", "name": "X"})
    assert refused.status_code == 400
    assert "private" in refused.json()["fields"]["url"][0]
    taken = as_admin.patch(f"{URL}{feed.pk}/", {"url": other.url})
    assert taken.status_code == 400
    assert "already a feed" in taken.json()["fields"]["url"][0]
    assert as_admin.patch(f"{URL}{feed.pk}/", {"poll_interval": 1}).status_code == 400
    assert as_admin.put(f"{URL}{feed.pk}/", {"url": PUBLIC}).status_code == 405
    assert _feeds() == before


@pytest.mark.django_db
def test_an_admin_deletes_a_feed(as_admin, feed):
    entry = feed.entries.create(guid="a" * 64, title="An item")
    assert as_admin.delete(f"{URL}{feed.pk}/").status_code == 204
    assert not Feed.objects.filter(pk=feed.pk).exists()
    assert not type(entry).objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_a_poll_is_queued_once_the_request_commits(
    as_admin, feed, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = as_admin.post(f"{URL}{feed.pk}/poll/")
    assert response.status_code == 202
    assert response.json()["id"] == feed.pk
    assert queued == []  # not before the commit
    for callback in callbacks:
        callback()
    assert queued == [feed.pk]


@pytest.mark.django_db
def test_unknown_feeds_are_404(as_admin, queued):
    for response in (
        as_admin.get(f"{URL}999999/"),
        as_admin.patch(f"{URL}999999/", {"name": "x"}),
        as_admin.delete(f"{URL}999999/"),
        as_admin.post(f"{URL}999999/poll/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert queued == []


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["as_viewer", "as_analyst", "as_outsider"])
def test_only_admins_read_or_write_feeds(request, persona, feed, queued):
    client = request.getfixturevalue(persona)
    before = _feeds()
    attempts = [
        client.get(URL),
        client.get(f"{URL}{feed.pk}/"),
        client.post(URL, {"url": PUBLIC}),
        client.patch(f"{URL}{feed.pk}/", {"enabled": False}),
        client.delete(f"{URL}{feed.pk}/"),
        client.post(f"{URL}{feed.pk}/poll/"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert _feeds() == before
    assert queued == []


@pytest.mark.django_db
def test_anonymous_gets_401(api, feed, queued):
    before = _feeds()
    attempts = [
        api.get(URL),
        api.get(f"{URL}{feed.pk}/"),
        api.post(URL, {"url": PUBLIC}),
        api.patch(f"{URL}{feed.pk}/", {"enabled": False}),
        api.delete(f"{URL}{feed.pk}/"),
        api.post(f"{URL}{feed.pk}/poll/"),
    ]
    assert [r.status_code for r in attempts] == [401] * len(attempts)
    assert _feeds() == before
    assert queued == []


@pytest.mark.django_db
def test_the_feed_list_runs_a_constant_number_of_queries(as_admin):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_admin.get(URL + "?page_size=100").status_code == 200
        return len(captured)

    Feed.objects.all().delete()  # the default feeds
    Feed.objects.create(url="https://a.example.org/rss", name="A")
    as_admin.get("/api/v1/tags/")  # the token's first use records last_used_at
    one = queries()
    Feed.objects.bulk_create(
        Feed(url=f"https://{n}.example.org/rss", name=f"Feed {n}") for n in range(40)
    )
    assert queries() == one
    assert one == 2
