"""Ingestion end to end: real Celery workers on Redis poll feeds served by a local HTTP server
into the test database, and workers killed mid-task lose and duplicate nothing.

Each worker is a subprocess started as `make run` starts one, pointed at the pytest database and
at a Redis server of these tests alone (flushed at the start of each test). A worker is killed with
SIGKILL on its whole process group (main process, pool child, sandbox), as a crash or an OOM
kill would. Time that production waits out (a claim's ten minutes, a lease's five, Redis's
one-hour visibility timeout) is made to pass by moving the deadline into the past: in the
database for claims and leases, and for the visibility timeout by running kombu's own restore of
unacknowledged messages with a timeout of zero, which is what a worker does on its next start
once the timeout has passed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.utils import timezone

from incidents.dates import Precision
from incidents.ingestion.canonical import url_canonical
from incidents.ingestion.tasks import (
    entries_process_task,
    entries_sweep,
    feed_poll_task,
    feeds_dispatch,
)
from incidents.models import Article, Feed, FeedEntry, IncidentSource, LinkCandidate, Platform
from incidents.roles import SYSTEM_USERNAME
from tests.factories import IncidentFactory
from tests.ingestion.conftest import FeedServer, respond, serving
from tests.workers import Broker, wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# --- The news served -----------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    path: str
    language: str
    title: str
    paragraphs: tuple[str, ...]
    published: str  # RFC 822 for RSS, RFC 3339 for Atom
    platform: str  # the gazetteer key it must match

    def html(self) -> bytes:
        body = "".join(f"<p>{paragraph}</p>" for paragraph in self.paragraphs)
        return (
            f'<!doctype html><html lang="{self.language}"><head><meta charset="utf-8">'
            f"<title>{self.title} | Example News</title></head><body>"
            "<nav><a href='/'>Home</a> | <a href='/tech'>Tech</a> | <a href='/world'>World</a>"
            f"</nav><article><h1>{self.title}</h1>{body}</article>"
            "<footer>Copyright Example News. All rights reserved.</footer></body></html>"
        ).encode()

    @property
    def summary(self) -> str:
        return self.paragraphs[0]


ZOOM_EN = Story(
    path="/en/zoom-meeting-flaw",
    language="en",
    title="Zoom fixes flaw that let strangers join meetings without a password",
    paragraphs=(
        "Zoom Video Communications said on Thursday it had fixed a flaw that allowed uninvited "
        "guests to join meetings without a password, after a wave of so-called Zoombombing "
        "incidents disrupted online classes and church services around the world.",
        "Security researchers reported that meeting identifiers could be guessed in bulk, "
        "because many meetings were not protected by a password. An attacker who guessed a "
        "valid identifier could join the call, share offensive images on screen and record "
        "the participants.",
        "The company now requires passwords for new meetings by default and turns on waiting "
        "rooms, so that the host has to admit every participant. It urged customers to update "
        "the Zoom client and never to post meeting links on social media.",
        "Schools in several countries said they had suspended the use of the platform until "
        "teachers had been trained in the new settings.",
    ),
    published="Thu, 02 Apr 2020 09:30:00 GMT",
    platform="platform:zoom",
)
TEAMS_EN = Story(
    path="/en/teams-gif-takeover",
    language="en",
    title="Microsoft Teams flaw let attackers take over accounts with a GIF",
    paragraphs=(
        "Microsoft has patched a vulnerability in Microsoft Teams that let an attacker take over "
        "a user's account by sending a single malicious GIF image in a chat, security "
        "researchers said on Monday.",
        "The flaw abused the way the Teams client handles authentication tokens for images. Two "
        "subdomains used by the service could be taken over, and a GIF pointing at them made "
        "the victim's browser hand over a token that gave access to the account and its chats.",
        "Because the attack could spread from one account to the next through group chats, an "
        "attacker could have reached every account of an organisation. Microsoft said it had "
        "fixed the misconfigured subdomains and had found no sign that the weakness was "
        "exploited.",
    ),
    published="Mon, 27 Apr 2020 14:00:00 GMT",
    platform="platform:microsoft-teams",
)
ZOOM_FBI_EN = Story(
    path="/en/fbi-warns-zoombombing",
    language="en",
    title="FBI warns of Zoombombing of online classrooms",
    paragraphs=(
        "The FBI warned on Monday that intruders were hijacking video conferences and online "
        "classes held on Zoom, displaying pornographic and hateful images and threatening "
        "language.",
        "The Boston field office said it had received reports of two incidents in "
        "Massachusetts schools. In one, an unidentified person dialled into a high school "
        "class, yelled a profanity and then shouted the teacher's home address. In another, "
        "an individual showed swastika tattoos on camera.",
        "The bureau advised teachers to keep meetings private, to require a password or use "
        "the waiting room, to share links directly with students only and to let only the host "
        "share the screen. Victims were asked to report Zoombombing to the Internet Crime "
        "Complaint Center.",
    ),
    published="Mon, 30 Mar 2020 18:00:00 GMT",
    platform="platform:zoom",
)
ZOOM_NL = Story(
    path="/nl/zoom-dicht-lek",
    language="nl",
    title="Zoom dicht lek waardoor onbekenden vergaderingen konden binnendringen",
    paragraphs=(
        "Het videobelplatform Zoom heeft een beveiligingslek gedicht waardoor onbekenden zonder "
        "wachtwoord aan vergaderingen konden deelnemen. Dat meldt het bedrijf donderdag na een "
        "golf van zogeheten zoombombing, waarbij indringers online lessen en kerkdiensten "
        "verstoorden.",
        "Volgens onderzoekers konden de nummers van vergaderingen op grote schaal worden "
        "geraden, omdat veel vergaderingen niet met een wachtwoord waren beveiligd. Wie een "
        "geldig nummer vond, kon meekijken, schokkende beelden delen en de deelnemers opnemen.",
        "Nederlandse scholen meldden de afgelopen weken dat onbekenden digitale lessen "
        "binnendrongen. Zoom raadt gebruikers aan de software bij te werken, de wachtkamer aan "
        "te zetten en vergaderlinks alleen met genodigden te delen. Het Nationaal Cyber "
        "Security Centrum onderzoekt of overheidsdiensten het programma veilig kunnen "
        "gebruiken.",
    ),
    published="2020-04-02T11:00:00Z",
    platform="platform:zoom",
)
ZOOM_FR = Story(
    path="/fr/zoom-corrige-une-faille",
    language="fr",
    title="Zoom corrige une faille qui permettait à des intrus de rejoindre des réunions",
    paragraphs=(
        "La plateforme de visioconférence Zoom a corrigé jeudi une faille de sécurité qui "
        "permettait à des inconnus de rejoindre des réunions sans mot de passe. Plusieurs "
        "écoles et universités avaient signalé des intrusions pendant des cours en ligne.",
        "Selon des chercheurs en sécurité, les identifiants des réunions pouvaient être devinés "
        "en masse. Un intrus qui trouvait un identifiant valide pouvait suivre la conversation, "
        "partager des images choquantes et enregistrer les participants.",
        "L'entreprise exige désormais un mot de passe pour les nouvelles réunions et active par "
        "défaut la salle d'attente. L'ANSSI recommande aux administrations de mettre à jour le "
        "logiciel et de ne jamais publier les liens des réunions sur les réseaux sociaux.",
    ),
    published="2020-04-03T08:15:00Z",
    platform="platform:zoom",
)

ETAG = '"feed-v1"'
LAST_MODIFIED = "Fri, 03 Apr 2020 12:00:00 GMT"


class Gate:
    """Holds the first request to a route until opened (or 30 s); later requests pass."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def pass_through(self) -> None:
        with self._lock:
            first = not self.entered.is_set()
            self.entered.set()
        if first:
            self.opened.wait(30)


@dataclass
class NewsSite:
    """Feeds and article pages on a local server; records what each feed request got."""

    server: FeedServer
    feed_responses: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def feed(
        self,
        path: str,
        body: bytes | Callable[[], bytes],
        content_type: str,
        *,
        validators: bool,
        gate: Gate | None,
    ) -> None:
        """Serves a feed (a callable body is built afresh for each request); with validators,
        ETag and Last-Modified, and 304 to a request that sends either back."""

        def route(handler) -> None:
            headers = {k.lower(): v for k, v in handler.headers.items()}
            if gate is not None:
                gate.pass_through()
            unchanged = validators and (
                headers.get("if-none-match") == ETAG
                or headers.get("if-modified-since") == LAST_MODIFIED
            )
            status = 304 if unchanged else 200
            self.feed_responses.append((path, status, headers))
            sent = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED} if validators else {}
            if unchanged:
                respond(handler, 304, headers=sent)
            else:
                content = body() if callable(body) else body
                respond(handler, 200, content, {"Content-Type": content_type, **sent})

        self.server.routes[path] = route

    def page(self, story: Story, *, gate: Gate | None = None) -> None:
        def route(handler) -> None:
            if gate is not None:
                gate.pass_through()
            respond(handler, 200, story.html(), {"Content-Type": "text/html; charset=utf-8"})

        self.server.routes[story.path] = route

    def gate(self) -> Gate:
        gate = Gate()
        self.gates.append(gate)
        return gate

    def page_requests(self, story: Story) -> int:
        return sum(1 for path, _ in self.server.requests if path == story.path)

    def rss(self, stories: list[tuple[Story, str]], built: str = LAST_MODIFIED) -> bytes:
        """An RSS 2.0 feed of (story, link) items, the link as the feed gives it."""
        items = "".join(
            f"<item><title>{story.title}</title><link>{self.url(link)}</link>"
            f"<guid isPermaLink='false'>rss-{link}</guid><pubDate>{story.published}</pubDate>"
            f"<description>{story.summary}</description></item>"
            for story, link in stories
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Example News</title><link>{self.url('/')}</link>"
            f"<description>Security news</description><language>en</language>"
            f"<lastBuildDate>{built}</lastBuildDate>{items}"
            "</channel></rss>"
        ).encode()

    def atom(self, stories: list[tuple[Story, str]]) -> bytes:
        """An Atom feed in Dutch whose entries say their own language."""
        entries = "".join(
            f'<entry xml:lang="{story.language}"><title>{story.title}</title>'
            f'<link rel="alternate" href="{self.url(link).replace("&", "&amp;")}"/>'
            f"<id>urn:example:atom:{index}</id><published>{story.published}</published>"
            f"<updated>{story.published}</updated><summary>{story.summary}</summary></entry>"
            for index, (story, link) in enumerate(stories)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl">'
            f"<title>Voorbeeld Nieuws</title><id>urn:example:atom</id>"
            f'<link rel="alternate" href="{self.url("/nl/")}"/>'
            f"<updated>2020-04-03T12:00:00Z</updated>{entries}</feed>"
        ).encode()


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with serving(FeedServer()) as server:
        news = NewsSite(server)
        try:
            yield news
        finally:
            for gate in news.gates:
                gate.opened.set()


# --- Database helpers ----------------------------------------------------------------------


def _feed(site: NewsSite, path: str, name: str, language: str) -> Feed:
    return Feed.objects.create(url=site.url(path), name=name, language=language)


def _all_done(expected: int) -> Callable[[], bool]:
    def done() -> bool:
        entries = FeedEntry.objects.all()
        return (
            entries.count() == expected and not entries.exclude(state=FeedEntry.State.DONE).exists()
        )

    return done


def _entry_of(site: NewsSite, story: Story) -> FeedEntry:
    return FeedEntry.objects.get(url=url_canonical(site.url(story.path)))


def _article_of(site: NewsSite, story: Story) -> Article:
    return Article.objects.get(url=url_canonical(site.url(story.path)))


def _rows() -> tuple[int, int, list[tuple]]:
    """Everything a redelivery or a second poll could have changed."""
    entries = list(
        FeedEntry.objects.order_by("pk").values_list(
            "pk", "state", "attempts", "article_id", "processed_at"
        )
    )
    return Article.objects.count(), FeedEntry.objects.count(), entries


def _lapse(queryset, *fields: str) -> None:
    """Moves deadlines a second into the past: the time a claim or a lease runs has passed."""
    past = timezone.now() - timedelta(seconds=1)
    queryset.update(**dict.fromkeys(fields, past))


# --- Tests ---------------------------------------------------------------------------------


def test_a_worker_polls_feeds_into_articles_once_and_polls_again_conditionally(
    site: NewsSite, broker: Broker, workers
):
    english = [(ZOOM_EN, ZOOM_EN.path), (TEAMS_EN, TEAMS_EN.path), (ZOOM_FBI_EN, ZOOM_FBI_EN.path)]
    # The English Zoom story again, under a link with tracking parameters: the same article.
    tracked = f"{ZOOM_EN.path}?utm_source=atom&utm_medium=feed"
    other = [(ZOOM_NL, ZOOM_NL.path), (ZOOM_FR, ZOOM_FR.path), (ZOOM_EN, tracked)]
    site.feed("/en/feed.rss", site.rss(english), "application/rss+xml", validators=True, gate=None)
    site.feed("/nl/feed.atom", site.atom(other), "application/atom+xml", validators=True, gate=None)
    stories = [ZOOM_EN, TEAMS_EN, ZOOM_FBI_EN, ZOOM_NL, ZOOM_FR]
    for story in stories:
        site.page(story)
    feeds = [
        _feed(site, "/en/feed.rss", "Example News", "en"),
        _feed(site, "/nl/feed.atom", "Voorbeeld Nieuws", "nl"),
    ]
    zoom, _ = Platform.objects.get_or_create(slug="zoom", defaults={"name": "Zoom"})
    incident = IncidentFactory(
        title="Zoombombing disrupts online classes and meetings",
        summary=(
            "Intruders joined Zoom meetings and online classes without a password and shared "
            "offensive images; Zoom made passwords and waiting rooms the default."
        ),
        occurred_on=date(2020, 3, 30),
        occurred_on_precision=Precision.DAY,
        platforms=[zoom],
    )
    worker = workers("poller", concurrency=2)

    broker.send(feeds_dispatch.name)
    wait_until(_all_done(6), "six entries done", workers=(worker,))

    assert Article.objects.count() == len(stories)
    for story in stories:
        article = _article_of(site, story)
        assert article.language == story.language, story.path
        assert article.relevance > 0, story.path
        assert story.platform in {term["key"] for term in article.matched_terms}, story.path
        assert "Copyright" not in article.text
        assert story.paragraphs[1][:40] in article.text
    assert [FeedEntry.objects.filter(feed=feed).count() for feed in feeds] == [3, 3]
    twice = FeedEntry.objects.filter(url=url_canonical(site.url(ZOOM_EN.path)))
    assert sorted(twice.values_list("feed_id", "article_id")) == [
        (feed.pk, _article_of(site, ZOOM_EN).pk) for feed in feeds
    ]
    pages = {story.path: site.page_requests(story) for story in stories}

    # Linking (incidents.ingestion.linking): each Zoom story is linked to the Zoom incident, by
    # the system or as a candidate in the triage queue.
    zoom_articles = [_article_of(site, s) for s in stories if s.platform == "platform:zoom"]

    def linked() -> bool:
        return all(
            IncidentSource.objects.filter(incident=incident, article=article).exists()
            or LinkCandidate.objects.filter(incident=incident, article=article).exists()
            for article in zoom_articles
        )

    wait_until(linked, "the Zoom articles linked to the Zoom incident", workers=(worker,))
    # Made by the system user when made; the Teams story names another platform only.
    linkers = IncidentSource.objects.filter(incident=incident).values_list(
        "linked_by__username", flat=True
    )
    assert set(linkers) <= {SYSTEM_USERNAME}
    teams = _article_of(site, TEAMS_EN)
    assert not IncidentSource.objects.filter(incident=incident, article=teams).exists()
    assert not LinkCandidate.objects.filter(incident=incident, article=teams).exists()

    # Second pass: both feeds due again; the worker asks conditionally, the server says 304.
    before, responses_before = _rows(), len(site.feed_responses)
    polled_before = timezone.now()
    Feed.objects.filter(pk__in=[feed.pk for feed in feeds]).update(next_poll_at=polled_before)

    broker.send(feeds_dispatch.name)
    wait_until(
        lambda: Feed.objects.filter(
            pk__in=[feed.pk for feed in feeds],
            last_polled_at__gt=polled_before,
            lease_token__isnull=True,
        ).count()
        == 2,
        "both feeds polled again",
        workers=(worker,),
    )

    second = site.feed_responses[responses_before:]
    assert sorted(path for path, _, _ in second) == ["/en/feed.rss", "/nl/feed.atom"]
    for _path, status, headers in second:
        assert headers.get("if-none-match") == ETAG
        assert headers.get("if-modified-since") == LAST_MODIFIED
        assert status == 304
    assert _rows() == before
    assert {story.path: site.page_requests(story) for story in stories} == pages
    for feed in Feed.objects.filter(pk__in=[feed.pk for feed in feeds]):
        assert feed.health == Feed.Health.OK
        assert feed.etag == ETAG


def _serve_english(site: NewsSite, *, blocked_page: Story | None, blocked_feed: bool) -> Gate:
    """The English feed and its pages, with one request held until the test opens the gate.
    The feed sends no validators and is rebuilt on each request (its lastBuildDate moves), as
    many are: every poll reads every item, and must know each one it has seen."""
    gate = site.gate()
    stories = [ZOOM_EN, TEAMS_EN, ZOOM_FBI_EN]
    builds = itertools.count()

    def body() -> bytes:
        minute = next(builds)
        return site.rss(
            [(story, story.path) for story in stories], f"Fri, 03 Apr 2020 13:{minute:02d}:00 GMT"
        )

    site.feed(
        "/en/feed.rss",
        body,
        "application/rss+xml",
        validators=False,
        gate=gate if blocked_feed else None,
    )
    for story in stories:
        site.page(story, gate=gate if story is blocked_page else None)
    _feed(site, "/en/feed.rss", "Example News", "en")
    return gate


def _killed_mid_entry(site: NewsSite, broker: Broker, workers, story: Story) -> FeedEntry:
    """A worker polls the feed and dies while fetching the story's page: its entry claimed,
    its message delivered and not acknowledged."""
    gate = _serve_english(site, blocked_page=story, blocked_feed=False)
    first = workers("doomed")
    broker.send(feeds_dispatch.name)
    wait_until(gate.entered.is_set, "the page fetch to start", workers=(first,))
    first.kill()
    gate.opened.set()

    entry = _entry_of(site, story)
    assert entry.state == FeedEntry.State.PENDING
    assert entry.attempts == 1
    assert entry.claimed_until > timezone.now()  # held for CLAIM by a worker that is gone
    assert broker.unacked() == 1
    assert not Article.objects.filter(url=entry.url).exists()
    return entry


def _assert_every_story_once(site: NewsSite, killed: FeedEntry) -> None:
    stories = [ZOOM_EN, TEAMS_EN, ZOOM_FBI_EN]
    assert FeedEntry.objects.count() == len(stories)
    assert Article.objects.count() == len(stories)
    for story in stories:
        entry = _entry_of(site, story)
        assert entry.state == FeedEntry.State.DONE
        assert entry.article == _article_of(site, story)
        assert entry.attempts == (2 if entry.pk == killed.pk else 1)
        assert entry.article.language == "en"


def test_a_task_killed_mid_entry_is_redelivered_and_done_once(
    site: NewsSite, broker: Broker, workers
):
    killed = _killed_mid_entry(site, broker, workers, TEAMS_EN)
    # Ten minutes on, the dead worker's claim has lapsed; an hour on, Redis's visibility
    # timeout has too, and the message goes back on the queue. The sweeper is not run: the
    # redelivered message alone finishes the entry.
    _lapse(FeedEntry.objects.filter(pk=killed.pk), "claimed_until")
    second = workers("survivor")
    broker.restore_overdue()

    wait_until(_all_done(3), "every entry done", workers=(second,))
    wait_until(
        lambda: broker.unacked() == 0 and broker.queued() == 0,
        "every message acked",
        workers=(second,),
    )

    _assert_every_story_once(site, killed)
    assert site.page_requests(TEAMS_EN) == 2
    assert FeedEntry.objects.get(pk=killed.pk).next_attempt_at > timezone.now()


def test_a_task_killed_mid_entry_is_swept_and_its_late_redelivery_does_nothing(
    site: NewsSite, broker: Broker, workers
):
    killed = _killed_mid_entry(site, broker, workers, ZOOM_FBI_EN)
    second = workers("survivor")
    # The entries still queued are done by the new worker; the killed message waits out the
    # visibility timeout, unacknowledged.
    wait_until(
        lambda: FeedEntry.objects.filter(state=FeedEntry.State.DONE).count() == 2
        and broker.queued() == 0
        and broker.unacked() == 1,
        "the other entries done",
        workers=(second,),
    )
    assert FeedEntry.objects.get(pk=killed.pk).state == FeedEntry.State.PENDING

    # Ten minutes on, the claim has lapsed and the entry is overdue: the sweeper queues it.
    _lapse(FeedEntry.objects.filter(pk=killed.pk), "claimed_until", "next_attempt_at")
    broker.send(entries_sweep.name)
    wait_until(_all_done(3), "every entry done", workers=(second,))
    _assert_every_story_once(site, killed)
    after = _rows()

    # An hour on, Redis gives the killed message back: the entry is done, nothing happens.
    accepted = broker.tasks_accepted(second, entries_process_task.name)
    broker.restore_overdue()
    wait_until(
        lambda: broker.tasks_accepted(second, entries_process_task.name) == accepted + 1
        and broker.unacked() == 0
        and broker.queued() == 0,
        "the redelivered message handled",
        workers=(second,),
    )
    assert _rows() == after
    assert site.page_requests(ZOOM_FBI_EN) == 2


def test_a_task_killed_mid_poll_is_polled_again_and_its_entries_stored_once(
    site: NewsSite, broker: Broker, workers
):
    gate = _serve_english(site, blocked_page=None, blocked_feed=True)
    feed = Feed.objects.get(url=site.url("/en/feed.rss"))
    first = workers("doomed")
    broker.send(feeds_dispatch.name)
    wait_until(gate.entered.is_set, "the feed fetch to start", workers=(first,))
    first.kill()
    gate.opened.set()

    feed.refresh_from_db()
    assert feed.lease_expires_at > timezone.now()  # held by a poll that is gone
    assert feed.next_poll_at > timezone.now()  # taken by the dispatcher until the lease ends
    assert FeedEntry.objects.count() == 0
    assert broker.unacked() == 1

    # Five minutes on, the lease has lapsed and the feed is due: the next dispatch polls it.
    _lapse(Feed.objects.filter(pk=feed.pk), "lease_expires_at", "next_poll_at")
    second = workers("survivor")
    broker.send(feeds_dispatch.name)
    wait_until(_all_done(3), "every entry done", workers=(second,))
    wait_until(
        lambda: broker.queued() == 0 and broker.unacked() == 1,
        "all but the killed poll acked",
        workers=(second,),
    )
    after = _rows()
    assert after[:2] == (3, 3)
    assert {attempts for _, _, attempts, _, _ in after[2]} == {1}
    feed.refresh_from_db()
    assert feed.lease_token is None
    assert feed.health == Feed.Health.OK

    # An hour on, Redis gives the killed poll back: it fetches the feed in full (no
    # validators, new bytes), reads every item again and finds each one seen by its GUID.
    accepted = broker.tasks_accepted(second, feed_poll_task.name)
    broker.restore_overdue()
    wait_until(
        lambda: broker.tasks_accepted(second, feed_poll_task.name) == accepted + 1
        and broker.unacked() == 0
        and broker.queued() == 0,
        "the redelivered poll done",
        workers=(second,),
    )
    assert [status for _, status, _ in site.feed_responses] == [200, 200, 200]
    assert _rows() == after
    feed.refresh_from_db()
    assert feed.lease_token is None
    assert feed.consecutive_failures == 0
