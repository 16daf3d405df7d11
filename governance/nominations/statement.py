"""A nominee's statement: Markdown as they write it, the words they are held to, safe HTML to show.

Pure: no database, no web framework. The statement is stored as typed; it is rendered when shown, so
a tighter sanitiser later applies to statements written before it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from governance.errors import InvalidInput
from governance.i18n import _, ngettext

# Far beyond any word limit an election sets (a 1,000-word statement is ~7,000 characters); it keeps
# parsing and storage bounded whatever a client posts.
MAX_CHARACTERS = 20_000

# CommonMark with raw HTML off: anything typed in angle brackets is shown as text, never parsed.
_markdown = MarkdownIt("commonmark", {"html": False})

# Markdown's `#` would give the statement an <h1> that outranks the page's own headings: `#` becomes
# <h3> and anything deeper <h4>, below the candidate's name on every page that shows statements.
_HEADING_TAGS = {"h1": "h3", "h2": "h4", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4"}

# The second wall, in case a Markdown extension or bug ever lets markup through: only these tags,
# no style, class or event attributes, links to the web or to an email address only. Images are
# left out (a statement is text; an image URL would also report each reader to a third party).
_BLOCK_TAGS = frozenset({"p", "blockquote", "ul", "ol", "li", "h3", "h4", "pre", "hr"})
_INLINE_TAGS = frozenset({"br", "strong", "em", "code", "a"})
_sanitiser = nh3.Cleaner(
    tags=_BLOCK_TAGS | _INLINE_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel="nofollow noopener noreferrer",
)

# Characters that are drawn without spaces between words: each counts as a word, as word processors
# count them, so a Chinese or Japanese statement is not one enormous "word".
_IDEOGRAPH = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
# Every control character (Unicode category Cc) but tab and line feed, and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def render_statement(markdown: str) -> str:
    """Statement Markdown as HTML that is safe to put in a page unescaped."""
    tokens = _markdown.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_TAGS[token.tag]
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return _sanitiser.clean(html)


def count_words(text: str) -> int:
    """The words a reader sees in the rendered statement.

    A word is a run of characters between spaces or line breaks that holds at least one letter or
    digit, so "e-mail", "don't" and "50%" are one word each and a lone "–" or "&" is none. Markdown
    syntax is not counted (`**`, `#`, `>`, list markers, link and image URLs); link text is, and so
    is code. Image descriptions are not, as images are not shown. Each Chinese or Japanese character
    counts as one word.
    """
    visible = _IDEOGRAPH.sub(r" \g<0> ", " ".join(_visible_text(_markdown.parse(text))))
    return sum(1 for run in visible.split() if any(char.isalnum() for char in run))


def _visible_text(tokens: Iterable[Token]) -> Iterator[str]:
    for token in tokens:
        if token.type in ("code_block", "fence"):
            yield token.content
        elif token.type == "inline" and token.children:
            # Joined with nothing: "**bold**ly" renders as the one word "boldly".
            yield "".join(_inline_text(token.children))


def _inline_text(children: Iterable[Token]) -> Iterator[str]:
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield "\n"


def check_statement(markdown: str, word_limit: int) -> str:
    """The statement normalised for storing, or InvalidInput naming what is wrong with it."""
    # Browsers send a textarea's line breaks as CR LF; count them as the one character they show.
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_CHARACTERS:
        message = _("Your statement is %(count)d characters long; the limit is %(limit)d.")
        raise InvalidInput({"statement": message % {"count": len(text), "limit": MAX_CHARACTERS}})
    text = unicodedata.normalize("NFC", text)
    _refuse_control_characters(text)
    text = text.strip()
    if not text:
        raise InvalidInput({"statement": _("Please write a statement.")})
    words = count_words(text)
    if words > word_limit:
        message = ngettext(
            "Your statement has %(count)d word; the limit is %(limit)d.",
            "Your statement has %(count)d words; the limit is %(limit)d.",
            words,
        )
        raise InvalidInput({"statement": message % {"count": words, "limit": word_limit}})
    return text


def _refuse_control_characters(text: str) -> None:
    # Control characters are invisible, so a reader could not see what the nominee submitted; lone
    # surrogates cannot be stored as UTF-8 at all.
    if found := _CONTROL.search(text):
        message = _(
            "Your statement contains an invisible control character (%(code)s); please remove it."
        )
        raise InvalidInput({"statement": message % {"code": f"U+{ord(found.group()):04X}"}})
