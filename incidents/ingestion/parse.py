"""Feed bytes to items: feedparser on bytes alone, every string it returns made safe to show and
to store.

feedparser gets the body as a stream, never a str or bytes: given those it opens URLs and local
files. Titles, authors and categories come out as plain text; summaries as HTML cut down by nh3
to a small allow-list; every string is fit for a PostgreSQL text column (no NUL, no lone
surrogate, no control character but newline and tab).

Entities neither reach outside the document nor blow it up. feedparser strips the DOCTYPE and
the ENTITY declarations that begin a line and puts back only entities whose value is literal
text. Declarations it misses (a DTD all on one line) reach expat, where feedparser turns
external general entities off (and Python's expat reads no external DTD or parameter entity),
and expat 2.4 or later (Python 3.11.7 has 2.5.0) stops a document once its entities amplify it
more than 100 times past 8 MiB. A regular expression backtracking for minutes is not stopped by
any of that: `feed_parse_limited` runs the parse in the sandbox.
"""

import hashlib
import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from incidents.ingestion.plaintext import (
    CODE_TAGS,
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
from incidents.limits import ARTICLE_AUTHOR_MAX, ARTICLE_TITLE_MAX, ARTICLE_URL_MAX

MAX_GUID_CHARS = 2048
MAX_CATEGORIES = 50
MAX_CATEGORY_CHARS = 200
MAX_MESSAGE_CHARS = 300
MAX_TTL_MINUTES = 366 * 24 * 60
# A clock a little fast is common; a date further ahead is a typo or a lie.
FUTURE_SLACK = timedelta(days=1)

PARSE_SECONDS = 10.0
# Address space a parse may add to the sandbox worker: a 4.8 MB feed of 12,000 items took 40 MB
# (and 5 s, against the 10 s allowed) on the development machine.
PARSE_MEMORY_MB = 512

SUMMARY_TAGS = frozenset(
    {"p", "br", "a", "ul", "ol", "li", "em", "strong", "b", "i", "blockquote", "code", "pre"}
)
SUMMARY_ATTRIBUTES: Mapping[str, frozenset[str]] = {"a": frozenset({"href"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
# Elements dropped with their content, not unwrapped: their text is code or markup, not prose.

# feedparser's own knobs, passed per call so that no other user of the module is affected.
# Links inside summaries are made absolute by nh3's attribute filter, against the base feedparser
# reports for the element (its xml:base, else the feed URL), so that the parser that resolves a
# link is the one that checks it. feedparser's resolver reads attribute values without decoding
# character references: it would turn href="javascript&#58;..." into a path on the feed's site.
RESOLVE_RELATIVE_URIS = False
# nh3's allow-list, applied below to every string, is the one sanitiser. feedparser's own is
# a deny-list built on sgmllib and regular expressions: a second opinion that costs time in the
# sandbox and whose escaping nh3 would only have to undo.
SANITIZE_HTML = False


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, cleaned: plain text everywhere but summary_html, which is sanitised."""

    guid: str  # the entry's id, else its link, else "sha256:" of title and summary; never empty
    link: str | None  # absolute http(s) URL
    title: str
    summary_html: str
    summary_text: str
    published: datetime | None  # aware, UTC
    author: str
    language: str | None  # ISO 639-1, from the item's xml:lang
    categories: tuple[str, ...]


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's header and items; `error` when nothing could be read, `warning` when some was."""

    title: str
    link: str | None
    language: str | None  # ISO 639-1, lower case
    ttl_minutes: int | None
    items: tuple[FeedItem, ...]
    error: str | None = None
    warning: str | None = None


def feed_parse(
    body: bytes, *, url: str, content_type: str = "", charset: str | None = None
) -> ParsedFeed:
    """Parse feed bytes fetched from `url`; never raises for anything in the document."""
    if not body.strip():
        return _failed("not a feed: the document is empty")
    # RFC 7303 reads any XML as the declared charset, then the BOM or the XML declaration, then
    # UTF-8, whatever the media type. feedparser applies that to application/xml only (RFC 3023
    # made a text/xml body without charset US-ASCII), so that is the type it is told.
    media_type = "application/xml"
    if charset and _CHARSET.fullmatch(charset):
        media_type += f"; charset={charset}"
    body = _references_repaired(body)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-location": url, "content-type": media_type},
            resolve_relative_uris=RESOLVE_RELATIVE_URIS,
            sanitize_html=SANITIZE_HTML,
        )
    except Exception as crash:  # noqa: BLE001 - a parser bug the document set off is its fault
        return _failed(f"not a feed: feedparser failed: {type(crash).__name__}: {crash}")
    feed = parsed.get("feed", {})
    items = tuple(_item(entry, base=url) for entry in parsed.get("entries", ()))
    problem = _problem(parsed)
    error: str | None = None
    warning: str | None = None
    if not items and not parsed.get("version"):
        kind = f" ({content_type})" if content_type else ""
        error = f"not a feed{kind}: {problem or 'no RSS, RDF or Atom element'}"
    elif not items and problem and not _encoding_problem(parsed):
        error = f"not a feed: {problem}"
    else:
        warning = problem
    return ParsedFeed(
        title=_title(feed.get("title")),
        link=_link(feed.get("link"), base=url),
        language=_language(feed.get("language")),
        ttl_minutes=_ttl(feed.get("ttl")),
        items=items,
        error=text_storable(_one_line(error)) if error else None,
        warning=text_storable(_one_line(warning)) if warning else None,
    )


def feed_parse_limited(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    charset: str | None = None,
    seconds: float = PARSE_SECONDS,
) -> ParsedFeed:
    """feed_parse in the sandbox: a parse past `seconds` or out of memory is an error, no items."""
    try:
        return sandbox_call(
            _feed_parse_positional,
            body,
            url,
            content_type,
            charset,
            seconds=seconds,
            memory_mb=PARSE_MEMORY_MB,
        )
    except SandboxTimeout:
        return _failed(f"parsing took longer than {seconds:g} s")
    except SandboxCrashed as error:
        return _failed(f"parsing crashed: {error}")
    except SandboxFailed as error:
        return _failed(f"parsing failed: {error}")


def _feed_parse_positional(
    body: bytes, url: str, content_type: str, charset: str | None
) -> ParsedFeed:
    # sandbox_call passes positional arguments only.
    return feed_parse(body, url=url, content_type=content_type, charset=charset)


def _failed(error: str) -> ParsedFeed:
    return ParsedFeed(
        title="", link=None, language=None, ttl_minutes=None, items=(), error=_one_line(error)
    )


# A character reference to a UTF-16 surrogate or past U+10FFFF makes expat refuse the document,
# and feedparser's fallback parser raises on it (chr(n).encode()): one such reference in one
# item lost the whole feed. Some generators write an emoji as its two surrogates' references.
_CHARACTER_REFERENCE = re.compile(
    rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));(?:&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));)?"
)
_REPLACEMENT_REFERENCE = b"&#xFFFD;"


def _references_repaired(body: bytes) -> bytes:
    """References to a surrogate pair made the character it encodes; to a lone surrogate or
    past U+10FFFF, U+FFFD. Bodies in an ASCII-compatible encoding, that is nearly all."""
    if b"&#" not in body:
        return body
    return _CHARACTER_REFERENCE.sub(_reference_repaired, body)


def _reference_repaired(match: re.Match[bytes]) -> bytes:
    first, second = _code_point(match[1], match[2]), _code_point(match[3], match[4])
    if 0xD800 <= first <= 0xDBFF and 0xDC00 <= second <= 0xDFFF:
        return b"&#x%X;" % (0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
    codes = (first,) if second < 0 else (first, second)
    references = match[0].split(b";")[: len(codes)]
    return b"".join(
        reference + b";"
        if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        else _REPLACEMENT_REFERENCE
        for reference, code in zip(references, codes, strict=True)
    )


def _code_point(hexadecimal: bytes | None, decimal: bytes | None) -> int:
    """What a reference's digits name: -1 without a reference, past U+10FFFF when too long."""
    if hexadecimal is None and decimal is None:
        return -1
    digits = (hexadecimal or decimal or b"").lstrip(b"0") or b"0"
    if len(digits) > 7:
        return 0x110000
    return int(digits, 16 if hexadecimal is not None else 10)


# --- Problems feedparser reports ----------------------------------------------------------------


def _problem(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    exception = parsed.get("bozo_exception")
    # Told application/xml, feedparser flags other types no longer; should it, the media type
    # says nothing about whether the document is a feed.
    if isinstance(exception, feedparser.NonXMLContentType):
        return None
    return text_storable(_one_line(str(exception) or type(exception).__name__))


def _encoding_problem(parsed: Mapping[str, Any]) -> bool:
    """The document was read in another encoding than declared: a warning, never an error."""
    return isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride)


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    return line


# --- Items ----------------------------------------------------------------------------------------


def _item(entry: dict[str, Any], *, base: str) -> FeedItem:
    title = _title(entry.get("title"))
    summary_html = _summary_html(entry, base=base)
    summary_text = _summary_text(summary_html)
    link = _link(entry.get("link"), base=base)
    return FeedItem(
        guid=_guid(entry.get("id"), link=link, title=title, summary=summary_text),
        link=link,
        title=title,
        summary_html=summary_html,
        summary_text=summary_text,
        # dict.get: FeedParserDict answers a missing updated_parsed with published_parsed and a
        # DeprecationWarning.
        published=_published(
            dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        ),
        author=text_cut(text_folded(html_plain(_string(entry.get("author")))), ARTICLE_AUTHOR_MAX),
        language=_item_language(entry),
        categories=_categories(entry.get("tags")),
    )


def _guid(value: object, *, link: str | None, title: str, summary: str) -> str:
    guid = text_folded(text_storable(_string(value)))
    if len(guid) > MAX_GUID_CHARS:
        # Still stable and unique for the same value, and short enough for an index.
        return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    if guid:
        return guid
    if link:
        return link
    return "sha256:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()


def _summary_html(entry: Mapping[str, Any], *, base: str) -> str:
    """The summary, else the first content, as sanitised HTML."""
    detail = entry.get("summary_detail")
    if not (isinstance(detail, Mapping) and detail.get("value")):
        contents = entry.get("content") or [{}]
        detail = contents[0] if isinstance(contents[0], Mapping) else {}
    value = text_storable(_string(detail.get("value")))
    base = _string(detail.get("base")) or base
    if detail.get("type") == "text/plain":
        value = html.escape(value).replace("\n", "<br>")

    def href_absolute(tag: str, attribute: str, value: str) -> str | None:
        # nh3 has refused other schemes by now; relative links are made absolute or dropped.
        if attribute != "href":
            return value
        return _href(value, base=base)

    cleaned = nh3.clean(
        value,
        tags=set(SUMMARY_TAGS),
        clean_content_tags=set(CODE_TAGS),
        attributes={tag: set(names) for tag, names in SUMMARY_ATTRIBUTES.items()},
        attribute_filter=href_absolute,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
    )
    return text_storable(cleaned).strip()


# The ends of the block elements SUMMARY_TAGS allows: in nh3's output they carry no attributes.
_BLOCK_END = re.compile(r"<(?:br|/p|/li|/blockquote|/pre|/ul|/ol)>")


def _summary_text(summary_html: str) -> str:
    text = html_plain(_BLOCK_END.sub("\n", summary_html))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _published(value: object) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when absent, invalid or ahead."""
    if not isinstance(value, struct_time):
        return None
    try:
        when = datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    if when > datetime.now(UTC) + FUTURE_SLACK:
        return None
    return when


def _item_language(entry: Mapping[str, Any]) -> str | None:
    # feedparser records xml:lang on the text constructs, not on the entry.
    details = [entry.get("title_detail"), entry.get("summary_detail"), *entry.get("content", [])]
    for detail in details:
        if isinstance(detail, Mapping) and detail.get("language"):
            return _language(detail["language"])
    return None


def _categories(tags: object) -> tuple[str, ...]:
    names: dict[str, None] = {}  # ordered, without repeats
    for tag in tags if isinstance(tags, list) else ():
        if not isinstance(tag, Mapping):
            continue
        name = text_cut(
            text_folded(html_plain(_string(tag.get("term") or tag.get("label")))),
            MAX_CATEGORY_CHARS,
        )
        if name:
            names[name] = None
        if len(names) == MAX_CATEGORIES:
            break
    return tuple(names)


# --- Feed header --------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"([a-z]{2})(?:[-_][a-z0-9]{1,8})*")
_CHARSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")


def _language(value: object) -> str | None:
    """The ISO 639-1 code of a language tag ("en-US" gives "en"); None if it has none."""
    match = _LANGUAGE.fullmatch(_string(value).strip().lower())
    return match.group(1) if match else None


def _ttl(value: object) -> int | None:
    text = _string(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    minutes = int(text)
    return minutes if minutes <= MAX_TTL_MINUTES else None


# --- Strings ------------------------------------------------------------------------------------

# C0 and C1 controls but tab and newline (carriage returns are turned into newlines first).


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _title(value: object) -> str:
    # Feeds mislabel text and HTML so often that a title is always read as HTML.
    return text_cut(text_folded(html_plain(_string(value))), ARTICLE_TITLE_MAX)


def _link(value: object, *, base: str) -> str | None:
    """An absolute http(s) URL, or None."""
    url = _href(_string(value), base=base)
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _href(value: str, *, base: str) -> str | None:
    """`value` made absolute against `base` if its scheme is allowed, else None."""
    value = value.strip().replace(" ", "%20")
    if not value or CONTROL.search(value) or any(char.isspace() for char in value):
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host or port
        return None
    if parts.scheme not in URL_SCHEMES or len(url) > ARTICLE_URL_MAX:
        return None
    if parts.scheme != "mailto" and not parts.hostname:
        return None
    # "HTTP://" is the same URL, but Article's constraint and most comparisons want lower case.
    return text_storable(parts.scheme + url[len(parts.scheme) :])
