"""Organizers' descriptions written in Markdown, rendered safely.

Python-Markdown renders the text with its raw-HTML passes removed, so any HTML an organizer types
is shown as text; nh3 (the ammonia sanitizer) then keeps only the tags and attributes below, links
to http, https and mailto only, each with ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import html

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "del"}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitized HTML, safe to put in a page."""
    rendered = _markdown().convert(text or "")
    return mark_safe(nh3.clean(rendered, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                               link_rel="noopener noreferrer nofollow"))


def plain_text(text: str) -> str:
    """``text`` (Markdown) as the words it shows, without markup (for summaries)."""
    return html.unescape(nh3.clean(_markdown().convert(text or ""), tags=set())).strip()
