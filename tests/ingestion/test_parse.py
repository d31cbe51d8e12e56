"""feed_parse and feed_parse_limited: feedparser's own corpus, feeds written here, and hostile
documents (entities, encodings, control characters, script, a backtracking author)."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from incidents.ingestion.parse import (
    FeedItem,
    ParsedFeed,
    feed_parse,
    feed_parse_limited,
)
from incidents.limits import ARTICLE_TITLE_MAX

FEED_URL = "https://news.example.com/security/feed.xml"
CORPUS = Path(__file__).resolve().parent.parent / "data" / "feedparser"
# What feed_parse_limited says when the sandbox, not the document, ended the parse.
SANDBOX_ERRORS = ("parsing took longer than", "parsing crashed", "parsing failed")
UNSAFE_HTML = re.compile(r"<script|<iframe|<style|\son\w+=|javascript:", re.IGNORECASE)
# Characters PostgreSQL text refuses or that have no business in text: NUL, other controls
# (but tab and newline), lone surrogates.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def rss(items: str, *, channel: str = "", declaration: str = '<?xml version="1.0"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Conference security</title>'
        f"<link>https://news.example.com/</link>{channel}{items}</channel></rss>"
    ).encode()


def strings(parsed: ParsedFeed) -> Iterator[str]:
    """Every string in the result, the items' included."""
    for value in (parsed.title, parsed.link, parsed.language, parsed.error, parsed.warning):
        if isinstance(value, str):
            yield value
    for item in parsed.items:
        for field in fields(FeedItem):
            value = getattr(item, field.name)
            if isinstance(value, str):
                yield value
            elif isinstance(value, tuple):
                yield from value


def only(parsed: ParsedFeed) -> FeedItem:
    assert parsed.error is None
    assert len(parsed.items) == 1
    return parsed.items[0]


# --- feedparser's corpus ------------------------------------------------------------------------


def corpus_problems(path: Path, parsed: ParsedFeed) -> list[str]:
    problems = []
    if not isinstance(parsed, ParsedFeed):
        return [f"returned {type(parsed).__name__}"]
    if parsed.error and parsed.error.startswith(SANDBOX_ERRORS):
        problems.append(parsed.error)
    problems += [f"unstorable {text[:60]!r}" for text in strings(parsed) if UNSTORABLE.search(text)]
    for item in parsed.items:
        if match := UNSAFE_HTML.search(item.summary_html):
            problems.append(f"summary_html has {match.group()!r}: {item.summary_html[:120]!r}")
        if not item.guid:
            problems.append("an item without guid")
        if item.link is not None and not item.link.startswith(("http://", "https://")):
            problems.append(f"link {item.link!r}")
        if item.published is not None and item.published.tzinfo is not UTC:
            problems.append(f"published {item.published!r}")
        if len(item.title) > ARTICLE_TITLE_MAX:
            problems.append("title too long")
    return [f"{path.relative_to(CORPUS)}: {problem}" for problem in problems]


def test_every_corpus_document_parses_in_the_sandbox_to_safe_strings():
    # About 2,100 documents; the sandbox adds some 50 µs a call, so all of them go through it.
    paths = sorted(
        path
        for path in CORPUS.rglob("*")
        if path.is_file() and path.name not in ("LICENSE", "SOURCE.md")
    )
    assert len(paths) > 2000

    problems = []
    parsed_items = 0
    for path in paths:
        parsed = feed_parse_limited(path.read_bytes(), url=FEED_URL)
        parsed_items += len(parsed.items)
        problems += corpus_problems(path, parsed)

    assert problems == []
    assert parsed_items > 1000


# --- Feeds of each kind -------------------------------------------------------------------------


def test_rss_2_feed_and_items():
    body = rss(
        """
        <item>
          <title>Zoom patches &lt;b&gt;RCE&lt;/b&gt; in   the
            desktop client</title>
          <link>../2024/zoom-rce</link>
          <guid isPermaLink="false">zoom-rce-1</guid>
          <pubDate>Tue, 02 Jan 2024 10:00:00 +0100</pubDate>
          <author>editor@example.com (Ann Editor)</author>
          <category>zoom</category><category>RCE</category><category>zoom</category>
          <description>&lt;p&gt;Read &lt;a href="details.html"&gt;more&lt;/a&gt;&lt;/p&gt;
            &lt;ul&gt;&lt;li&gt;one&lt;/li&gt;&lt;li&gt;two&lt;/li&gt;&lt;/ul&gt;</description>
        </item>
        <item><title>No date, no link, no guid</title><description>Plain words.</description></item>
        """,
        channel="<language>en-GB</language><ttl>45</ttl>",
    )

    parsed = feed_parse(body, url=FEED_URL, content_type="application/rss+xml")

    assert (parsed.title, parsed.link, parsed.language, parsed.ttl_minutes) == (
        "Conference security",
        "https://news.example.com/",
        "en",
        45,
    )
    assert (parsed.error, parsed.warning) == (None, None)
    first, second = parsed.items
    assert first == FeedItem(
        guid="zoom-rce-1",
        link="https://news.example.com/2024/zoom-rce",
        title="Zoom patches RCE in the desktop client",
        summary_html=(
            '<p>Read <a href="https://news.example.com/security/details.html" '
            'rel="nofollow noopener">more</a></p>\n'
            "            <ul><li>one</li><li>two</li></ul>"
        ),
        summary_text="Read more\none\ntwo",
        published=datetime(2024, 1, 2, 9, 0, tzinfo=UTC),
        author="editor@example.com (Ann Editor)",
        language=None,
        categories=("zoom", "RCE"),
    )
    digest = hashlib.sha256(b"No date, no link, no guid\nPlain words.").hexdigest()
    assert second == FeedItem(
        guid=f"sha256:{digest}",
        link=None,
        title="No date, no link, no guid",
        summary_html="Plain words.",
        summary_text="Plain words.",
        published=None,
        author="",
        language=None,
        categories=(),
    )


def test_rss_1_feed_and_items():
    body = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
             xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://news.example.com/">
        <title>RDF news</title><link>https://news.example.com/</link><dc:language>de</dc:language>
      </channel>
      <item rdf:about="https://news.example.com/webex">
        <title>Webex flaw</title><link>https://news.example.com/webex</link>
        <dc:date>2024-03-05T08:30:00Z</dc:date><dc:creator>Bob</dc:creator>
        <dc:subject>webex</dc:subject><description>A flaw.</description>
      </item>
      <item><title>Nothing else</title></item>
    </rdf:RDF>"""

    parsed = feed_parse(body, url=FEED_URL)

    assert (parsed.title, parsed.language, parsed.ttl_minutes, parsed.error) == (
        "RDF news",
        "de",
        None,
        None,
    )
    first, second = parsed.items
    assert (first.guid, first.link, first.title, first.author, first.categories) == (
        "https://news.example.com/webex",
        "https://news.example.com/webex",
        "Webex flaw",
        "Bob",
        ("webex",),
    )
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert (second.link, second.published, second.summary_html) == (None, None, "")
    assert second.guid == "sha256:" + hashlib.sha256(b"Nothing else\n").hexdigest()


def test_atom_feed_and_entries():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr-CA"
          xml:base="https://news.example.com/atom/">
      <title>Atom news</title><link href="/"/><id>urn:feed</id>
      <updated>2024-02-01T12:00:00Z</updated>
      <entry>
        <title>Teams</title><id>tag:example.com,2024:1</id><link href="posts/1"/>
        <updated>2024-02-01T12:00:00-05:00</updated>
        <author><name>Carol</name></author><category term="teams"/>
        <summary type="html">&lt;p onclick="x()"&gt;Hi&lt;/p&gt;</summary>
      </entry>
      <entry xml:lang="en">
        <title>Only content</title>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
          <p>Body <a href="rel">x</a></p></div></content>
      </entry>
      <entry>
        <title>Text summary</title>
        <summary type="text">x &lt; y &amp; z</summary>
      </entry>
    </feed>"""

    parsed = feed_parse(body, url=FEED_URL, content_type="application/atom+xml")

    assert (parsed.title, parsed.link, parsed.language, parsed.error) == (
        "Atom news",
        "https://news.example.com/",
        "fr",
        None,
    )
    teams, content, text = parsed.items
    assert (teams.guid, teams.link, teams.author, teams.categories, teams.language) == (
        "tag:example.com,2024:1",
        "https://news.example.com/atom/posts/1",  # against xml:base
        "Carol",
        ("teams",),
        "fr",
    )
    assert teams.published == datetime(2024, 2, 1, 17, 0, tzinfo=UTC)
    assert teams.summary_html == "<p>Hi</p>"
    assert content.summary_html == (
        '<p>Body <a href="https://news.example.com/atom/rel" rel="nofollow noopener">x</a></p>'
    )
    assert (content.link, content.published, content.language) == (None, None, "en")
    assert content.guid.startswith("sha256:")
    # Text stays text: escaped in the HTML, as written in the plain text.
    assert (text.summary_html, text.summary_text) == ("x &lt; y &amp; z", "x < y & z")


def test_relative_links_resolve_against_the_feed_url():
    body = rss(
        '<item><title>a</title><link>../advisories/1.html</link><description>&lt;a href="2.html'
        '"&gt;two&lt;/a&gt; &lt;a href="/three"&gt;three&lt;/a&gt; &lt;a href="//cdn.example.net/'
        '4"&gt;four&lt;/a&gt; &lt;a href="mailto:psirt@example.com"&gt;mail&lt;/a&gt;</description>'
        "</item>"
    )

    item = only(feed_parse(body, url=FEED_URL))

    assert item.link == "https://news.example.com/advisories/1.html"
    assert re.findall(r'href="([^"]*)"', item.summary_html) == [
        "https://news.example.com/security/2.html",
        "https://news.example.com/three",
        "https://cdn.example.net/4",
        "mailto:psirt@example.com",
    ]
    assert item.summary_html.count('rel="nofollow noopener"') == 4


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("<ttl>60</ttl>", 60),
        ("<ttl> 5 </ttl>", 5),
        ("<ttl>0</ttl>", 0),
        ("<ttl>soon</ttl>", None),
        ("<ttl>-5</ttl>", None),
        ("<ttl>99999999999</ttl>", None),
        ("", None),
    ],
)
def test_ttl_is_minutes_or_none(channel, expected):
    parsed = feed_parse(rss("<item><title>a</title></item>", channel=channel), url=FEED_URL)

    assert parsed.ttl_minutes == expected


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("en", "en"), ("EN-us", "en"), ("pt_BR", "pt"), ("eng", None), ("english", None), ("", None)],
)
def test_feed_language_is_iso_639_1(declared, expected):
    channel = f"<language>{declared}</language>"
    parsed = feed_parse(rss("<item><title>a</title></item>", channel=channel), url=FEED_URL)

    assert parsed.language == expected


def test_a_date_more_than_a_day_ahead_is_dropped():
    now = datetime.now(UTC).replace(microsecond=0)
    soon = format_datetime(now + timedelta(hours=2), usegmt=True)
    later = format_datetime(now + timedelta(days=3), usegmt=True)
    body = rss(
        f"<item><title>soon</title><pubDate>{soon}</pubDate></item>"
        f"<item><title>later</title><pubDate>{later}</pubDate></item>"
        "<item><title>nonsense</title><pubDate>yesterday-ish</pubDate></item>"
    )

    soon_item, later_item, nonsense = feed_parse(body, url=FEED_URL).items

    assert soon_item.published == now + timedelta(hours=2)
    assert later_item.published is None
    assert nonsense.published is None


def test_an_updated_date_stands_in_for_a_missing_published_date():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>e</title><id>urn:e</id><updated>2023-12-31T23:00:00Z</updated></entry>
    </feed>"""

    assert only(feed_parse(body, url=FEED_URL)).published == datetime(2023, 12, 31, 23, tzinfo=UTC)


def test_links_that_are_not_http_are_dropped():
    body = rss(
        "<item><title>a</title><link>javascript:alert(1)</link></item>"
        "<item><title>b</title><link>ftp://files.example.com/x</link></item>"
        "<item><title>c</title><link>https://ok.example.com/c</link></item>"
    )

    links = [item.link for item in feed_parse(body, url=FEED_URL).items]

    assert links == [None, None, "https://ok.example.com/c"]


# --- Hostile markup -----------------------------------------------------------------------------


def test_script_and_event_handlers_are_removed_from_titles_and_summaries():
    body = rss(
        "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;Patch &lt;img src=x "
        "onerror=alert(2)&gt;now</title>"
        '<description><![CDATA[<p onmouseover="steal()">Hi <script>evil()</script>'
        '<iframe src="https://evil.example/"></iframe><style>p { color: red }</style>'
        '<img src=x onerror=alert(3)><a href="javascript:alert(1)">js</a> '
        '<a href="JaVaScRiPt&#58;alert(1)">js2</a> <a href=" java\tscript:alert(1)">js3</a> '
        '<svg onload="alert(4)"><script>alert(5)</script></svg>'
        '<a href="https://ok.example/" target="_blank" rel="opener" onclick="x()">ok</a>'
        "</p>]]></description>"
        "<author>&lt;b onmouseover=x()&gt;Eve&lt;/b&gt;</author>"
        "<category>&lt;script&gt;x()&lt;/script&gt;news</category></item>"
    )

    item = only(feed_parse(body, url=FEED_URL))

    assert item.title == "Patch now"
    assert item.summary_html == (
        '<p>Hi <a rel="nofollow noopener">js</a> <a rel="nofollow noopener">js2</a> '
        '<a rel="nofollow noopener">js3</a> '
        '<a href="https://ok.example/" rel="nofollow noopener">ok</a></p>'
    )
    assert item.summary_text == "Hi js js2 js3 ok"
    assert (item.author, item.categories) == ("Eve", ("news",))


def test_a_malformed_document_is_an_error_not_an_exception():
    parsed = feed_parse(b"this is <<< not xml &&& at all", url=FEED_URL, content_type="text/html")

    assert parsed.items == ()
    assert parsed.error is not None
    assert parsed.error.startswith("not a feed (text/html): ")
    assert "\n" not in parsed.error


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<html><body><p>A web page, not a feed</p></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut &nbsp; short</title',
        b"\x00\x01\x02\xff\xfe",
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "JSON", "items": []}',
    ],
)
def test_documents_that_are_not_feeds_have_an_error_and_no_items(body):
    parsed = feed_parse(body, url=FEED_URL)

    assert parsed.items == ()
    assert parsed.error is not None
    assert parsed.error.startswith("not a feed")


def test_a_malformed_feed_with_items_has_a_warning():
    body = rss("<item><title>A & B</title><link>https://news.example.com/ab</link></item>")

    parsed = feed_parse(body, url=FEED_URL)

    assert (parsed.error, [item.title for item in parsed.items]) == (None, ["A & B"])
    assert parsed.warning is not None
    assert "not well-formed" in parsed.warning


def test_bytes_that_name_a_local_file_are_parsed_as_bytes(tmp_path):
    # Given bytes, feedparser.parse opens them as a path when such a file exists.
    secret = tmp_path / "secret.xml"
    secret.write_text(
        '<rss version="2.0"><channel><title>FILE-CONTENT-4f1c</title></channel></rss>'
    )

    parsed = feed_parse(str(secret).encode(), url=FEED_URL)

    assert not any("FILE-CONTENT-4f1c" in text for text in strings(parsed))
    assert parsed.error is not None


# --- Encodings and characters -------------------------------------------------------------------

# Characters windows-1252 has in 0x80-0x9F, where ISO-8859-1 has controls.
TITLE = "Café “quoted” – dash"  # noqa: RUF001


def test_windows_1252_bytes_declared_as_utf_8_are_read_as_windows_1252():
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    body = rss(f"<item><title>{TITLE}</title></item>", declaration=declaration)
    body = body.decode().encode("cp1252")

    parsed = feed_parse(body, url=FEED_URL, content_type="application/rss+xml", charset="utf-8")

    assert only(parsed).title == TITLE
    assert parsed.warning == "document declared as utf-8, but parsed as windows-1252"


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_document_without_any_declared_encoding_is_read(encoding):
    body = rss(f"<item><title>{TITLE}</title></item>", declaration="").decode().encode(encoding)

    assert only(feed_parse(body, url=FEED_URL)).title == TITLE


def test_the_charset_of_the_response_is_honoured():
    body = rss("<item><title>Ασφάλεια</title></item>", declaration="").decode()
    encoded = body.encode("iso-8859-7")

    with_charset = feed_parse(encoded, url=FEED_URL, content_type="text/xml", charset="iso-8859-7")
    without = feed_parse(encoded, url=FEED_URL, content_type="text/xml")

    assert only(with_charset).title == "Ασφάλεια"
    assert only(without).title != "Ασφάλεια"


def test_a_text_xml_body_without_charset_is_utf_8_not_ascii():
    # RFC 3023 defaulted text/xml to US-ASCII; RFC 7303 reads the XML declaration and UTF-8.
    body = rss(f"<item><title>{TITLE}</title></item>")

    parsed = feed_parse(body, url=FEED_URL, content_type="text/xml")

    assert (only(parsed).title, parsed.warning) == (TITLE, None)


def test_nul_and_control_characters_never_come_out():
    body = rss(
        "<item><title>Before\x00After\x01 \x1b[31mred</title>"
        "<description>x\x00y &amp;#0; &amp;#1; &amp;#xD800; z</description>"
        "<author>a\x00b</author><category>c\x00d</category>"
        '<guid isPermaLink="false">id\x00\x07</guid></item>'
        "<item><title>Refs&#0;&#1;&#x1b;&#x85;</title></item>"
    )

    parsed = feed_parse(body, url=FEED_URL)

    first, second = parsed.items
    assert (first.title, first.author, first.categories, first.guid) == (
        "BeforeAfter [31mred",
        "ab",
        ("cd",),
        "id",
    )
    assert first.summary_text == "xy � � z"  # HTML reads &#0; and surrogates as U+FFFD
    assert second.title == "Refs"
    assert not [text for text in strings(parsed) if UNSTORABLE.search(text)]


def test_a_long_title_is_cut_to_the_column():
    item = only(feed_parse(rss(f"<item><title>{'word ' * 300}</title></item>"), url=FEED_URL))

    assert len(item.title) == ARTICLE_TITLE_MAX
    assert item.title.endswith("…")


# --- Entities -----------------------------------------------------------------------------------


def billion_laughs(separator: str) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?>{separator}<!DOCTYPE rss [{separator}'
        + separator.join(entities)
        + f"{separator}]>{separator}"
        '<rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "separator",
    [
        pytest.param("\n", id="declarations-on-lines-feedparser-strips"),
        pytest.param("", id="declarations-on-one-line-expat-limits"),
    ],
)
def test_billion_laughs_expands_nothing(separator):
    parsed = feed_parse_limited(billion_laughs(separator), url=FEED_URL)

    assert not (parsed.error or "").startswith(SANDBOX_ERRORS)
    assert not any("lollol" in text for text in strings(parsed))
    assert sum(len(text) for text in strings(parsed)) < 10_000


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "passwd"
    path.write_text("SECRET-MARKER-9d2e\n")
    return path


def xxe_documents(path: Path) -> dict[str, bytes]:
    uri = path.as_uri()
    head = '<?xml version="1.0"?>'
    feed = '<rss version="2.0"><channel><title>t &x;</title><item><title>a &x; b</title>'
    feed += "<description>&x;</description></item></channel></rss>"
    no_reference = feed.replace("&x;", "")
    documents = {
        "general-entity": f'{head}\n<!DOCTYPE rss [\n<!ENTITY x SYSTEM "{uri}">\n]>\n{feed}',
        "general-entity-one-line": f'{head}<!DOCTYPE rss [<!ENTITY x SYSTEM "{uri}">]>{feed}',
        "parameter-entity": f'{head}<!DOCTYPE rss [<!ENTITY % p SYSTEM "{uri}">%p;]>{no_reference}',
        "external-dtd": f'{head}<!DOCTYPE rss SYSTEM "{uri}">{no_reference}',
    }
    return {kind: document.encode() for kind, document in documents.items()}


@pytest.mark.parametrize(
    "kind", ["general-entity", "general-entity-one-line", "parameter-entity", "external-dtd"]
)
def test_external_entities_are_never_read(secret_file, kind):
    body = xxe_documents(secret_file)[kind]

    for parsed in (feed_parse(body, url=FEED_URL), feed_parse_limited(body, url=FEED_URL)):
        assert not any("SECRET-MARKER" in text for text in strings(parsed))
        assert parsed.items  # the rest of the document is read


def test_literal_internal_entities_still_expand():
    body = rss("<item><title>Copyright &c;</title></item>").replace(
        b"<rss", b'\n<!DOCTYPE rss [\n<!ENTITY c "(C) Example">\n]>\n<rss'
    )

    assert only(feed_parse(body, url=FEED_URL)).title == "Copyright (C) Example"


# --- The sandbox --------------------------------------------------------------------------------


def test_a_backtracking_author_is_stopped_and_the_next_parse_works():
    # feedparser looks for an e-mail address in an RSS author with re.search and a pattern that
    # retries from every position: quadratic, minutes for this one field (40,000 characters take
    # seconds, 200,000 twenty-five times as long).
    author = "a" * 200_000
    body = rss(f"<item><title>slow</title><author>{author}</author></item>")

    parsed = feed_parse_limited(body, url=FEED_URL, seconds=0.5)

    assert parsed == ParsedFeed(
        title="",
        link=None,
        language=None,
        ttl_minutes=None,
        items=(),
        error="parsing took longer than 0.5 s",
    )
    after = feed_parse_limited(rss("<item><title>fast</title></item>"), url=FEED_URL)
    assert [item.title for item in after.items] == ["fast"]


def test_the_limited_parse_gives_the_same_result_as_the_direct_one():
    body = rss(
        "<item><title>t</title><link>/a</link><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate>"
        "<description>&lt;p&gt;x&lt;/p&gt;</description></item>",
        channel="<ttl>30</ttl><language>nl</language>",
    )

    assert feed_parse_limited(body, url=FEED_URL) == feed_parse(body, url=FEED_URL)
