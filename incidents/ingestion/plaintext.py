"""Text from feeds and pages made safe to store: one place for what parse and extract share."""

import html
import re

import nh3

# Elements whose content is code, not text: dropped with their content.
CODE_TAGS = frozenset(
    {"script", "style", "iframe", "noscript", "template", "object", "svg", "math"}
)
# Control characters but newline and tab.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def text_storable(text: str) -> str:
    """Text PostgreSQL stores: no NUL, no lone surrogate, no control but newline and tab."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text)


def html_plain(fragment: str) -> str:
    """The text of an HTML fragment: tags gone (code elements with their content), entities
    decoded."""
    stripped = nh3.clean(text_storable(fragment), tags=set(), clean_content_tags=set(CODE_TAGS))
    return text_storable(html.unescape(stripped))


def text_folded(text: str) -> str:
    return " ".join(text.split())


def text_cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
