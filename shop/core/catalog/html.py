"""Product descriptions are HTML from merchants and imports: keep the formatting, drop the danger.

nh3 (ammonia) parses the HTML like a browser would and keeps only the tags and attributes
below. Scripts and styles go with their content; event handlers, `style` and unknown
attributes go; links keep only http(s) and mailto targets. `<img>` is not kept: a
description must not pull pictures from another site at view time; product images are
uploaded (or fetched on import) instead.
"""

from __future__ import annotations

import nh3

DESCRIPTION_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "div",
        "span",
        "blockquote",
        "pre",
        "code",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "del",
        "ins",
        "mark",
        "small",
        "sub",
        "sup",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "a",
        "abbr",
    }
)
DESCRIPTION_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_description(html: str) -> str:
    """Safe HTML for a product page; applying it twice gives the same text as once."""
    if not html.strip():
        return ""
    # Lone surrogates cannot reach the (Rust) sanitiser; they are no text anyway.
    html = html.encode("utf-8", "replace").decode("utf-8")
    return nh3.clean(
        html,
        tags=set(DESCRIPTION_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in DESCRIPTION_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
