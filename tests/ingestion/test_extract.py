"""page_decode, page_extract and page_extract_limited: pages written for these tests
(tests/data/pages/) and hostile bytes."""

import codecs
import re
import socket
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import trafilatura
from lxml.html import HtmlElement

from incidents.ingestion import extract
from incidents.ingestion.extract import (
    ExtractFailed,
    PageContent,
    page_decode,
    page_extract,
    page_extract_limited,
)

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"
NL_URL = "https://www.techpuls.example.nl/nieuws/2024/03/zoom-lek-meeluisteren?utm_source=rss"
FR_URL = "https://lejournaldunumerique.example.fr/securite/webex-faille-reunions-privees/"
URL = "https://news.example.com/2024/05/meeting-flaw"
PARAGRAPHS = (
    "<p>Researchers found a flaw in the meeting client that let an attacker join calls unseen.</p>"
    "<p>The vendor fixed it in version 6.1 and says there is no sign it was used before then.</p>"
    "<p>Administrators should check managed installations, the national CERT said on Monday.</p>"
)
PARAGRAPHS_TEXT = (
    "Researchers found a flaw in the meeting client that let an attacker join calls unseen.\n\n"
    "The vendor fixed it in version 6.1 and says there is no sign it was used before then.\n\n"
    "Administrators should check managed installations, the national CERT said on Monday."
)
# Curly quotes as escapes: ruff takes them for backticks.
CP1252_TITLE = "Conference tool \u2018MeetNow\u2019 leaked café chain\u2019s staff calls"
# What the database refuses, and controls other than newline and tab.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def page_file(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def article(head: str = "", body: str = PARAGRAPHS, lang: str = "en") -> str:
    """A small article page around the head elements and article body given."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>Meeting client flaw let attackers join calls</title>{head}</head>"
        f'<body><nav><a href="/">Home</a></nav><article>{body}</article>'
        "<footer>Footer words</footer></body></html>"
    )


def assert_storable(content: PageContent) -> None:
    for value in (content.title, content.text, content.author, content.publisher):
        assert not UNSTORABLE.search(value), repr(value)
        value.encode("utf-8")  # raises on a lone surrogate


# --- A news article ------------------------------------------------------------------------------


def test_a_news_article_gives_its_main_paragraphs_and_nothing_around_them():
    content = page_extract(page_file("nl-article.html"), url=NL_URL)

    assert content is not None
    assert content.text == (
        "Beveiligingsonderzoekers hebben een ernstig lek gevonden in de Windows-client van Zoom, "
        "waardoor aanvallers ongemerkt konden meeluisteren met lopende vergaderingen van andere "
        "deelnemers.\n\n"
        "De fout zat in de manier waarop de client uitnodigingslinks verwerkte. Een aanvaller die "
        "een deelnemer op een kwaadaardige link liet klikken, kreeg toegang tot de microfoon "
        "zonder dat het bekende rode opnamesymbool verscheen.\n\n"
        "Update beschikbaar\n\n"
        "Zoom heeft het probleem verholpen in versie 5.17.5 en raadt alle gebruikers aan de "
        "update zo snel mogelijk te installeren. Volgens een woordvoerder zijn er geen "
        "aanwijzingen dat het lek actief is misbruikt voordat de patch beschikbaar kwam.\n\n"
        "Het Nationaal Cyber Security Centrum schaalde de kwetsbaarheid op als hoog risico en "
        "adviseert organisaties om ook beheerde installaties op hun netwerk te controleren."
    )
    for elsewhere in (
        "cookiebeleid",  # the cookie banner
        "Word abonnee",  # the navigation
        "Alle rechten voorbehouden",  # the footer
        "Teams urenlang",  # related stories in the sidebar
        "nieuwsbrief",
        "definitief over",  # the comments
        "beheerportaal",
        "TRACKINGSCRIPTWORDS",  # scripts and the stylesheet
        "INLINESCRIPTWORDS",
        "STYLESHEETWORDS",
        "Deel op LinkedIn",
    ):
        assert elsewhere not in content.text


def test_a_news_article_gives_its_metadata_from_json_ld_and_its_canonical_link():
    content = page_extract(page_file("nl-article.html"), url=NL_URL)

    assert content is not None
    assert content.title == "Lek in Zoom liet aanvallers meeluisteren met vergaderingen"
    assert content.author == "Sanne de Vries"
    assert content.publisher == "Techpuls"
    assert content.published == date(2024, 3, 5)
    assert content.language == "nl"
    # Tracking parameters gone, the page's own kept: the spelling of canonical.py.
    assert content.canonical_url == (
        "https://www.techpuls.example.nl/nieuws/2024/03/zoom-lek-meeluisteren?pagina=1"
    )


def test_an_article_without_json_ld_gives_its_metadata_from_meta_and_open_graph_tags():
    content = page_extract(page_file("fr-article.html"), url=FR_URL + "?utm_source=rss")

    assert content is not None
    assert content.title == "Visioconférence : une faille dans Webex exposait les réunions privées"
    assert content.author == "Camille Laurent"
    assert content.publisher == "Le Journal du Numérique"
    assert content.published == date(2024, 2, 12)
    assert content.language == "fr"  # from lang="fr-FR"
    assert content.canonical_url == FR_URL  # og:url, without utm_campaign and xtor
    assert content.text.split("\n\n") == [
        "Une vulnérabilité dans la plateforme de visioconférence Webex permettait à un tiers de "
        "rejoindre des réunions protégées par mot de passe sans y avoir été invité, selon des "
        "chercheurs allemands.",
        "Les chercheurs ont pu consulter les métadonnées de milliers de réunions, dont certaines "
        "organisées par des ministères, en énumérant les identifiants de salle attribués de façon "
        "prévisible.",
        "Cisco affirme avoir corrigé le défaut côté serveur et qu'aucune action n'est requise de "
        "la part des utilisateurs. L'éditeur remercie les chercheurs pour leur signalement "
        "responsable.",
    ]


def test_a_page_with_no_article_text_gives_none():
    assert page_extract(page_file("no-article.html"), url=URL) is None
    assert page_extract(b"", url=URL) is None
    assert (
        page_extract(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>", url=URL) is None
    )


def test_trafilatura_gets_a_parsed_tree_and_nothing_reaches_the_network(monkeypatch):
    given: list[object] = []
    bare_extraction = trafilatura.bare_extraction

    def recording(filecontent, **options):
        given.append(filecontent)
        return bare_extraction(filecontent, **options)

    def refused(*args, **kwargs):
        raise AssertionError("extraction tried to reach the network")

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", recording)
    monkeypatch.setattr(socket, "getaddrinfo", refused)
    monkeypatch.setattr(socket.socket, "connect", refused)

    content = page_extract(page_file("nl-article.html"), url=NL_URL)

    assert content is not None
    assert content.author == "Sanne de Vries"
    assert len(given) == 1
    assert isinstance(given[0], HtmlElement)


def test_trafilatura_runs_with_its_extraction_timeout_off():
    assert extract._CONFIG.getint("DEFAULT", "EXTRACTION_TIMEOUT") == 0


# --- Characters ----------------------------------------------------------------------------------


def test_a_windows_1252_page_declared_in_meta_decodes_without_an_http_charset():
    content = page_extract(page_file("en-article-cp1252.html"), url=URL, charset=None)

    assert content is not None
    assert content.title == CP1252_TITLE
    assert "named the chain\u2019s coördinator Zoë Maes as their contact." in content.text
    assert "was “reviewing every storage policy” across its platform." in content.text
    assert content.publisher == "Daily Wire Service"
    assert content.language == "en"
    assert content.canonical_url is None


def test_an_http_charset_the_bytes_do_not_decode_in_gives_way_to_the_meta_declaration():
    content = page_extract(page_file("en-article-cp1252.html"), url=URL, charset="utf-8")

    assert content is not None
    assert content.title == CP1252_TITLE


def test_the_http_charset_wins_over_the_meta_declaration():
    body = '<html><head><meta charset="utf-8"></head><body>café</body></html>'.encode("cp1252")

    assert "café" in page_decode(body, charset="windows-1252")


@pytest.mark.parametrize("charset", ["x-no-such-charset", "", "utf-7", "base64", "rot13", None])
def test_an_unknown_or_refused_http_charset_is_passed_over(charset):
    text = "<p>+ADw-script+AD4- coördinator Zoë \u2018quoted\u2019</p>"

    assert page_decode(text.encode(), charset=charset) == text


def test_a_meta_declaration_of_utf_7_is_refused():
    body = b'<meta charset="utf-7"><p>+ADw-script+AD4-alert(1)</p>'

    assert page_decode(body, charset=None) == body.decode("ascii")


def test_iso_8859_1_is_read_as_windows_1252_as_browsers_do():
    body = b"\x93Quoted\x94 caf\xe9 \x91single\x92 \x80 5"

    assert page_decode(body, charset="ISO-8859-1") == "“Quoted” café \u2018single\u2019 € 5"
    assert page_decode(body, charset="us-ascii") == "“Quoted” café \u2018single\u2019 € 5"


def test_an_http_equiv_declaration_is_read():
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "</head><body>co\xf6rdinator Zo\xeb</body></html>"
    ).encode("latin-1")

    assert "coördinator Zoë" in page_decode(body, charset=None)


def test_a_declaration_past_the_first_2_kb_is_not_read():
    # UTF-8 decodes as KOI8-R too, into other letters: the page must be read as UTF-8.
    body = ("<!--" + "x" * 3000 + '--><meta charset="koi8-r"><p>Zoë</p>').encode()

    assert page_decode(body, charset=None).endswith("<p>Zoë</p>")


def test_a_byte_order_mark_wins_over_the_declarations():
    utf8 = codecs.BOM_UTF8 + '<meta charset="windows-1252"><p>Zoë</p>'.encode()
    utf16 = '<meta charset="utf-16"><p>Zoë</p>'.encode("utf-16")

    assert page_decode(utf8, charset="windows-1252") == '<meta charset="windows-1252"><p>Zoë</p>'
    assert page_decode(utf16, charset=None) == '<meta charset="utf-16"><p>Zoë</p>'


def test_utf_16_declared_in_meta_is_read_as_utf_8():
    body = '<meta charset="utf-16"><p>Zoë</p>'.encode()

    assert page_decode(body, charset=None) == '<meta charset="utf-16"><p>Zoë</p>'


def test_a_utf_8_page_with_a_stray_windows_1252_byte_stays_utf_8():
    body = "<p>Coördinator Zoë and the café\u2019s staff</p>".encode() + b"<p>it\x92s</p>"

    assert page_decode(body, charset="utf-8") == (
        "<p>Coördinator Zoë and the café\u2019s staff</p><p>it\ufffds</p>"
    )


def test_an_undeclared_windows_1252_page_is_guessed():
    text = (
        "<html><body><p>The café\u2019s coördinator, Zoë Maes, said the \u2018MeetNow\u2019 "
        "recordings were exposed for weeks. “We were never told,” she said.</p></body></html>"
    )

    assert page_decode(text.encode("cp1252"), charset=None) == text


def test_bytes_that_decode_in_nothing_still_give_text():
    body = bytes(range(256)) * 4

    assert isinstance(page_decode(body, charset="utf-8"), str)


def test_nul_bytes_control_characters_and_lone_surrogate_escapes_give_clean_strings():
    head = (
        "<meta name='author' content='Jan\x00 de &#0;Vries&#xD800;'>"
        '<meta property="og:site_name" content="Tech\x01puls&#x7;">'
        '<script type="application/ld+json">{"@context": "https://schema.org",'
        ' "@type": "NewsArticle", "headline": "Lek \\ud800 in \\u0000Zoom\\u0007"}</script>'
    )
    body = PARAGRAPHS + (
        "<p>A NUL\x00 byte, a reference &#0; to one, a control \x01 and &#x1;, a C1 &#x85; and"
        " \x85, and surrogates &#xD800; &#xDFFF; in a paragraph long enough to be kept.</p>"
    )
    raw = article(head, body).encode("utf-8")

    content = page_extract(raw, url=URL)

    assert content is not None
    assert_storable(content)
    assert content.text.startswith(PARAGRAPHS_TEXT)
    assert "A NUL byte, a reference" in content.text
    assert "in a paragraph long enough to be kept." in content.text


# --- Metadata ------------------------------------------------------------------------------------


def test_metadata_written_as_html_comes_out_as_plain_text():
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org",'
        ' "@type": "NewsArticle", "headline": "<em>Exclusive</em>: Teams &amp; Zoom flaw",'
        ' "author": {"@type": "Person", "name": "<b>Jane Doe</b>"}}</script>'
        '<meta property="og:site_name" content="&lt;i&gt;Wire&lt;/i&gt; News">'
    )

    content = page_extract(article(head).encode(), url=URL)

    assert content is not None
    assert content.title == "Exclusive: Teams & Zoom flaw"
    assert content.author == "Jane Doe"
    assert content.publisher == "Wire News"
    assert content.text == PARAGRAPHS_TEXT


def test_long_metadata_is_cut_to_its_column():
    head = (
        f'<meta property="og:title" content="{"Flaw " * 200}">'
        f'<meta name="author" content="{"Jane Doe " * 60}">'
        f'<meta property="og:site_name" content="{"Wire " * 60}">'
    )

    content = page_extract(article(head).encode(), url=URL)

    assert content is not None
    assert (len(content.title), len(content.author), len(content.publisher)) == (500, 300, 200)
    assert content.title.endswith("…")


def test_a_page_that_names_no_site_has_no_publisher():
    content = page_extract(article().encode(), url=URL)

    assert content is not None
    assert content.publisher == ""  # not trafilatura's stand-in, the URL's host
    assert content.author == ""
    assert content.published is None


def test_a_publication_date_of_today_is_kept_and_one_in_the_future_is_dropped():
    today = datetime.now(UTC).date()

    def published(day: str) -> date | None:
        head = (
            f'<meta property="article:published_time" content="{day}T08:00:00+00:00">'
            '<script type="application/ld+json">{"@context": "https://schema.org",'
            f' "@type": "NewsArticle", "datePublished": "{day}"}}</script>'
        )
        content = page_extract(article(head).encode(), url=URL)
        assert content is not None
        return content.published

    assert published(today.isoformat()) == today
    assert published(f"{today.year + 1}-01-15") is None
    assert published("2999-12-31") is None


@pytest.mark.parametrize(
    ("lang", "head", "language"),
    [
        ("nl-BE", "", "nl"),
        ("FR", "", "fr"),
        ("", '<meta http-equiv="Content-Language" content="de-DE, en">', "de"),
        ("", '<meta property="og:locale" content="pt_BR">', "pt"),
        ("", "", None),
        ("dutch", "", None),
        ("x-klingon", "", None),
    ],
)
def test_the_declared_language_is_its_iso_639_1_code(lang, head, language):
    content = page_extract(article(head, lang=lang).encode(), url=URL)

    assert content is not None
    assert content.language == language


@pytest.mark.parametrize(
    ("head", "canonical_url"),
    [
        ('<link rel="canonical" href="javascript:alert(1)">', None),
        ('<link rel="canonical" href="/2024/05/meeting-flaw">', None),
        ('<link rel="canonical" href="//news.example.com/2024/05/meeting-flaw">', None),
        ('<link rel="canonical" href="ftp://news.example.com/flaw">', None),
        ('<link rel="canonical" href="https://user:secret@news.example.com/flaw">', None),
        ('<meta property="og:url" content="data:text/html,hi">', None),
        (
            '<link rel="canonical" href=" https://News.Example.com/Flaw?gclid=1&amp;id=2#top ">',
            "https://news.example.com/Flaw?id=2",
        ),
        (
            '<link rel="canonical" href="javascript:alert(1)">'
            '<meta property="og:url" content="https://news.example.com/flaw">',
            "https://news.example.com/flaw",
        ),
        (
            '<link rel="Canonical nofollow" href="http://news.example.com/a">',
            "http://news.example.com/a",
        ),
    ],
)
def test_the_canonical_url_is_an_absolute_http_url_or_none(head, canonical_url):
    content = page_extract(article(head).encode(), url=URL)

    assert content is not None
    assert content.canonical_url == canonical_url


# --- The sandbox ---------------------------------------------------------------------------------

# These run in the sandbox's worker in place of the extraction: top-level, so that they pickle
# by name.


def sleep_forever(body: bytes, url: str, charset: str | None) -> None:
    while True:
        time.sleep(60)


def fail(body: bytes, url: str, charset: str | None) -> None:
    raise ValueError("bad\ninput   on two lines")


def test_a_slow_extraction_is_stopped_and_the_next_call_works(monkeypatch):
    monkeypatch.setattr(extract, "_page_extract_positional", sleep_forever)

    with pytest.raises(ExtractFailed) as raised:
        page_extract_limited(page_file("nl-article.html"), url=NL_URL, seconds=0.2)

    assert str(raised.value) == "extraction took longer than 0.2 s"
    monkeypatch.undo()
    content = page_extract_limited(page_file("nl-article.html"), url=NL_URL)
    assert content is not None
    assert content.author == "Sanne de Vries"


def test_a_huge_deeply_nested_page_past_a_tiny_deadline_raises_and_the_next_call_works():
    nested = "<div><section><p>Nested words of a page that goes on and on." * 20_000
    body = article(body=nested + PARAGRAPHS).encode()

    with pytest.raises(ExtractFailed, match=r"^extraction took longer than 0\.01 s$"):
        page_extract_limited(body, url=URL, seconds=0.01)

    content = page_extract_limited(article().encode(), url=URL)
    assert content is not None
    assert content.text == PARAGRAPHS_TEXT


def test_an_extraction_that_raises_fails_with_one_line(monkeypatch):
    monkeypatch.setattr(extract, "_page_extract_positional", fail)

    with pytest.raises(ExtractFailed) as raised:
        page_extract_limited(b"<p>x</p>", url=URL)

    assert str(raised.value) == "extraction failed: ValueError: bad input on two lines"


def test_the_limited_extraction_gives_the_same_result_as_the_direct_one():
    for name, url in (("nl-article.html", NL_URL), ("fr-article.html", FR_URL)):
        body = page_file(name)
        assert page_extract_limited(body, url=url) == page_extract(body, url=url)
    assert page_extract_limited(page_file("no-article.html"), url=URL) is None
