"""Canonical article URLs: one spelling per article, so the same story from two feeds is one row.

The rules follow RFC 3986 §6 (syntax-based normalisation) plus the removal of tracking parameters.
They are meant not to change which page a server serves: the path keeps its case, ``www.``
stays, and the remaining query parameters keep their order and values.
"""

import ipaddress
import re
import string
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

SCHEMES = {"http": 80, "https": 443}

# Parameters that only tell the linking site's analytics where a click came from; the page served
# is the same without them. Names are compared case-folded. Left out on purpose, because some sites
# use them for content: ``ref``, ``source``, ``feature``, ``rss``, ``ito``.
TRACKING_PARAMETERS = frozenset(
    {
        # Ad-click identifiers: Google, DoubleClick, Microsoft, Yandex, Twitter, TikTok, LinkedIn.
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        # Social shares: Facebook, Instagram, Twitter embeds.
        "fbclid",
        "igshid",
        "ref_src",
        "ref_url",
        "__twitter_impression",
        # Analytics and e-mail campaigns: Google Analytics, Mailchimp, HubSpot, Marketo,
        # AT Internet, Omeda, Vero, Webtrends, Yahoo, Seeking Alpha, common "campaign id" names.
        "_ga",
        "_gl",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "at_medium",
        "at_campaign",
        "xtor",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wt.mc_id",
        "ncid",
        "sr_share",
        "cmpid",
    }
)
TRACKING_PREFIXES = ("utm_",)

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# RFC 3986 pchar minus the unreserved characters (quote() never escapes those), plus "%" so that
# existing escapes survive; the query also allows "/" and "?".
_PATH_SAFE = "!$&'()*+,;=:@/%"
_QUERY_SAFE = _PATH_SAFE + "?"
_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def url_canonical(url: str, *, base: str | None = None) -> str:
    """The canonical form of an http(s) article URL, ``url`` resolved against ``base`` if relative.

    ValueError, with a one-line message, for an empty URL, a relative URL without base, another
    scheme, credentials in the URL, or a host or port that is not valid.
    """
    url = url.strip()
    if not url:
        # Resolved against a base, an empty link would name the feed itself, not an article.
        raise ValueError("the URL is empty")
    if base is not None:
        # urljoin also folds empty segments (a//b) of a relative path; servers seldom mind.
        url = urljoin(base.strip(), url)
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ValueError(f"{url!r} is not a valid URL: {error}") from None
    if not parts.scheme:
        raise ValueError(f"{url!r} is relative: an absolute base URL is needed to resolve it")
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{url!r} has scheme {parts.scheme!r}: only http and https are accepted")
    if "@" in parts.netloc:
        raise ValueError(f"{url!r} carries credentials: refused")
    host = _host_canonical(parts.hostname or "", url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    netloc = host if port in (None, SCHEMES[parts.scheme]) else f"{host}:{port}"
    path = _dot_segments_removed(_escapes_normalised(parts.path, _PATH_SAFE)) or "/"
    return urlunsplit((parts.scheme, netloc, path, _query_canonical(parts.query), ""))


def _host_canonical(host: str, url: str) -> str:
    """Lowercase, punycode, no trailing dot.

    The standard library's codec is IDNA 2003, which maps ``ß`` to ``ss`` where IDNA 2008 keeps it.
    """
    if ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError(f"{url!r} has an invalid IPv6 host") from None
    host = host.removesuffix(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{url!r} has a host that is not a valid domain name") from None
    if not _HOST.fullmatch(host):
        raise ValueError(f"{url!r} has no valid host")
    return host


def _query_canonical(query: str) -> str:
    """The query without tracking parameters or empty pieces, order and values kept."""
    kept = [
        _escapes_normalised(piece, _QUERY_SAFE)
        for piece in query.split("&")
        if piece and not _is_tracking(piece.partition("=")[0])
    ]
    return "&".join(kept)


def _is_tracking(name: str) -> bool:
    name = unquote(name).casefold()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _escapes_normalised(component: str, safe: str) -> str:
    """Raw characters that need it escaped, escaped unreserved ones decoded, hex uppercase."""
    return _ESCAPE.sub(_escape_normalised, quote(component, safe=safe))


def _escape_normalised(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    return char if char in _UNRESERVED else f"%{match[1].upper()}"


def _dot_segments_removed(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``; empty segments are kept."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        # "/a/b/.." names the directory "/a/": keep its trailing slash.
        kept.append("")
    return "/".join(kept)
