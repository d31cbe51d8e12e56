"""An article page's bytes to its main text and metadata, with trafilatura on bytes alone.

trafilatura gets a tree parsed (by its load_html) from the text decoded here, never a URL: its
downloader (`fetch_url`), its feed and sitemap discovery and its crawler reach the network
without the address checks of fetch.py, and none of them is called. The `url` it is given only
names the page, for metadata and for a date in the path. Its `EXTRACTION_TIMEOUT` is set to 0
in the config passed on each call: the deadline is the sandbox's (`page_extract_limited`),
which stops a process that a signal or a thread could not.

Every string out is plain text fit for a PostgreSQL text column: no NUL, no lone surrogate, no
control character but newline and tab; metadata, often written as HTML inside attributes and
JSON-LD, also loses its tags.
"""

import codecs
import re
from configparser import ConfigParser
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import charset_normalizer
import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document, use_config

from incidents.ingestion.canonical import url_canonical
from incidents.ingestion.plaintext import (
    CONTROL,
    html_plain,
    text_cut,
    text_folded,
    text_storable,
)
from incidents.ingestion.sandbox import (
    SandboxCrashed,
    SandboxFailed,
    SandboxTimeout,
    sandbox_call,
)
from incidents.limits import (
    ARTICLE_AUTHOR_MAX,
    ARTICLE_PUBLISHER_MAX,
    ARTICLE_TITLE_MAX,
    ARTICLE_URL_MAX,
)

# Less main text than this is a list of links or a teaser, not an article: the feed's summary
# says as much.
MIN_TEXT_CHARS = 100

EXTRACT_SECONDS = 20.0
# Address space an extraction may add to the sandbox worker.
EXTRACT_MEMORY_MB = 512

# Where a <meta charset> or http-equiv declaration must be found, as browsers prescan a page.
META_PRESCAN_BYTES = 2048
# A body that fails as UTF-8 is still read as UTF-8 when it has at least this many valid
# non-ASCII characters per invalid byte: a page with a stray Windows-1252 quote among its
# accents, which a charset guess would turn into mojibake throughout.
NEARLY_UTF8_RATIO = 2

# Labels decoded with the encoding browsers use for them (WHATWG Encoding Standard): pages that
# say ISO-8859-1 are written in Windows-1252, whose curly quotes ISO-8859-1 reads as controls.
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# Python codecs that no page is written in; UTF-7 hides markup from anything that reads ASCII.
_REFUSED_CODECS = frozenset(
    {"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "charmap"}
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.I)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
# C0 and C1 controls but tab and newline (carriage returns are turned into newlines first).
# trafilatura's stand-in for a site's name, when the page has none (metadata.META_URL).
_URL_HOST = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")
_LANGUAGE = re.compile(r"([a-z]{2})(?:[-_][a-z0-9]{1,8})*")
# Elements whose content is code, not words: dropped with the tags from metadata.


@dataclass(frozen=True)
class PageContent:
    """An article page reduced to plain text: its main text and what it says about itself."""

    title: str
    text: str  # paragraphs separated by a blank line, whitespace folded within lines
    author: str  # "" when unknown
    publisher: str  # the site's name; "" when unknown
    published: date | None  # never after today anywhere on Earth
    language: str | None  # ISO 639-1, lower case, as the page declares it
    canonical_url: str | None  # absolute http(s), in url_canonical's form


class ExtractFailed(Exception):
    """The extraction ran out of time or memory, or crashed; str() is one line that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def page_extract(body: bytes, *, url: str, charset: str | None = None) -> PageContent | None:
    """The main text and metadata of an HTML page fetched from `url`; None when it has no text.

    May raise on a document that breaks trafilatura or lxml; page_extract_limited does not.
    """
    tree = _tree(page_decode(body, charset=charset))
    if tree is None:
        return None
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        date_extraction_params=_date_params(),
        config=_CONFIG,
    )
    if document is None or isinstance(document, dict):  # a dict only with as_dict=True
        return None
    title = text_cut(text_folded(html_plain(document.title or "")), ARTICLE_TITLE_MAX)
    text = _paragraphs(document.text or "", title=title)
    if len(text) < MIN_TEXT_CHARS:
        return None
    return PageContent(
        title=title,
        text=text,
        author=text_cut(text_folded(html_plain(document.author or "")), ARTICLE_AUTHOR_MAX),
        publisher=text_cut(text_folded(html_plain(_publisher(document))), ARTICLE_PUBLISHER_MAX),
        published=_published(document.date),
        language=_language(tree),
        canonical_url=_canonical_url(tree),
    )


def page_extract_limited(
    body: bytes, *, url: str, charset: str | None = None, seconds: float = EXTRACT_SECONDS
) -> PageContent | None:
    """page_extract in the sandbox; ExtractFailed when it takes past `seconds`, fails or dies."""
    try:
        return sandbox_call(
            _page_extract_positional,
            body,
            url,
            charset,
            seconds=seconds,
            memory_mb=EXTRACT_MEMORY_MB,
        )
    except SandboxTimeout:
        raise ExtractFailed(f"extraction took longer than {seconds:g} s") from None
    except SandboxCrashed as error:
        raise ExtractFailed(f"extraction crashed: {error}") from None
    except SandboxFailed as error:
        raise ExtractFailed(f"extraction failed: {error}") from None


def _page_extract_positional(body: bytes, url: str, charset: str | None) -> PageContent | None:
    # sandbox_call passes positional arguments only.
    return page_extract(body, url=url, charset=charset)


def _trafilatura_config() -> ConfigParser:
    config = use_config()
    # Only trafilatura's command line reads it in 2.x (adbar/trafilatura#704); 0 keeps it off
    # should a version apply it in-process, where a signal-based timer breaks outside the main
    # thread and a Celery worker's handlers. The sandbox owns the deadline.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


_CONFIG = _trafilatura_config()


# --- Bytes to text -------------------------------------------------------------------------------


def page_decode(body: bytes, *, charset: str | None) -> str:
    """The page as text: its BOM, the HTTP charset, a <meta> declaration, UTF-8, else a guess.

    A declared encoding the bytes do not decode in is passed over; never raises.
    """
    try:
        return _decoded(body, charset)
    except Exception:  # noqa: BLE001 - whatever a codec or the guesser raises, text comes out
        return body.decode("cp1252", "replace")


def _decoded(body: bytes, charset: str | None) -> str:
    declared = [
        encoding
        for encoding in (_bom(body), _encoding(charset), _meta_encoding(body))
        if encoding is not None
    ]
    for encoding in declared:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    nearly = body.decode("utf-8", "replace")
    replaced = nearly.count("\ufffd")
    errors = replaced - body.count("\ufffd".encode())
    valid = len(nearly) - len(nearly.encode("ascii", "ignore")) - replaced
    if valid >= NEARLY_UTF8_RATIO * errors:
        return nearly
    guess = charset_normalizer.from_bytes(body).best()
    if guess is not None:
        return str(guess)
    return body.decode(declared[0] if declared else "cp1252", "replace")


def _bom(body: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if body.startswith(bom)), None)


def _encoding(label: str | None) -> str | None:
    """The codec to decode a charset label with; None for an unknown or refused one."""
    try:
        name = codecs.lookup((label or "").strip().strip("\"'")).name
        "a".encode(name)  # base64, rot13 and the like are codecs but not text encodings
    except (LookupError, UnicodeError, ValueError):
        return None
    if name in _REFUSED_CODECS:
        return None
    return _SUPERSETS.get(name, name)


def _meta_encoding(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:META_PRESCAN_BYTES])
    if match is None:
        return None
    encoding = _encoding(match.group(1).decode("ascii"))
    # A declaration read as ASCII cannot be in UTF-16 or UTF-32: browsers take it for UTF-8.
    if encoding is not None and encoding.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return encoding


# --- Text to tree --------------------------------------------------------------------------------


def _tree(page: str) -> HtmlElement | None:
    # The text is decoded already: an encoding in an XML declaration would make lxml decode it
    # again from bytes.
    page = _XML_DECLARATION.sub("", text_storable(page), count=1)
    tree = trafilatura.load_html(page)
    if tree is None:
        return None
    # Character references (&#1;) put back controls that lxml stores but refuses to be given
    # again, as trafilatura does when it rewrites a node's text.
    for node in tree.iter():
        if node.text and CONTROL.search(node.text):
            node.text = CONTROL.sub("", node.text)
        if node.tail and CONTROL.search(node.tail):
            node.tail = CONTROL.sub("", node.tail)
        if isinstance(node.tag, str):
            for name, value in node.attrib.items():
                if CONTROL.search(value):
                    node.set(name, CONTROL.sub("", value))
    return tree


def _date_params() -> dict[str, object]:
    return {
        "original_date": True,
        # Off: a date picked from the page's free text (a comment's, a related story's, the
        # copyright line's) is worse than none, when the feed item's date can stand in.
        "extensive_search": False,
        "max_date": _latest_date().isoformat(),
    }


def _latest_date() -> date:
    """Today where it is latest (UTC+14): a later date is in the future everywhere."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


# --- Fields --------------------------------------------------------------------------------------


def _paragraphs(text: str, *, title: str) -> str:
    lines = [text_folded(line) for line in text_storable(text).split("\n")]
    lines = [line for line in lines if line]
    # trafilatura keeps the headline when it sits inside the article, and drops it when not.
    if lines and lines[0] == title:
        del lines[0]
    return "\n\n".join(lines)


def _publisher(document: Document) -> str:
    name = document.sitename or ""
    # A page that names no site gets its URL's host from trafilatura: an address, not a name.
    host = _URL_HOST.match(document.url or "")
    return "" if host and name == host.group(1) else name


def _published(value: str | None) -> date | None:
    try:
        published = date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
    return published if published <= _latest_date() else None


def _language(tree: HtmlElement) -> str | None:
    """The language the page declares: <html lang>, then Content-Language, then og:locale."""
    root = tree.getroottree().getroot()
    declared = [root.get("lang"), root.get("xml:lang")]
    for meta in root.iterfind(".//meta[@content]"):
        name = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if name == "content-language":
            declared.append(meta.get("content", "").split(",")[0])
        elif name == "og:locale":
            declared.append(meta.get("content"))
    for value in declared:
        match = _LANGUAGE.fullmatch((value or "").strip().lower())
        if match:
            return match.group(1)
    return None


def _canonical_url(tree: HtmlElement) -> str | None:
    """The first of <link rel=canonical> and og:url that is an absolute http(s) URL."""
    candidates = [
        link.get("href")
        for link in tree.iterfind(".//link[@rel]")
        if "canonical" in link.get("rel", "").lower().split()
    ]
    candidates += [
        meta.get("content")
        for meta in tree.iterfind(".//meta[@content]")
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url"
    ]
    for candidate in candidates:
        try:
            url = url_canonical(text_storable(candidate or ""))
        except ValueError:
            continue
        if len(url) <= ARTICLE_URL_MAX:
            return url
    return None


# --- Strings -------------------------------------------------------------------------------------
