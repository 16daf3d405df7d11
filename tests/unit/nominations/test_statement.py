"""Statements: the words counted, the HTML that is safe to show, and what the form refuses."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from governance.errors import InvalidInput
from governance.nominations import statement
from governance.nominations.statement import (
    MAX_CHARACTERS,
    check_statement,
    count_words,
    render_statement,
)

REL_VALUE = "nofollow noopener noreferrer"
REL = f'rel="{REL_VALUE}"'
ALLOWED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Elements(HTMLParser):
    """Every element and attribute of the rendered HTML, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append(data)

    def handle_decl(self, decl: str) -> None:
        self.other.append(decl)

    def handle_pi(self, data: str) -> None:
        self.other.append(data)

    def unknown_decl(self, data: str) -> None:
        self.other.append(data)


def _elements(html: str) -> _Elements:
    elements = _Elements()
    elements.feed(html)
    elements.close()
    return elements


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("one two  three", 3),
        ("**bold** and _emphasis_", 3),
        ("# A heading here", 3),
        ("- one\n- two\n\n1. three\n2. four", 4),
        ("> quoted words", 2),
        ("[link text](https://example.com/a/long/path?q=1)", 2),
        ("<https://example.com>", 1),
        ("one – two & three", 3),
        ("e-mail don't 50% 3.5", 4),
        ("**bold**ly", 1),
        ("line one\nline two", 4),
        ("hard  \nbreak", 2),
        ("`inline code` and\n\n    a code block", 6),
        ("![a picture of me](me.png) words", 1),
        ("\\*escaped stars\\*", 2),
        ("***\n\n---", 0),
        ("我们的工会", 5),
        ("Tokyo 東京 とうきょう", 8),
        ("<b>bold</b>", 1),
    ],
)
def test_words_are_counted_as_a_reader_sees_them(text: str, words: int) -> None:
    assert count_words(text) == words


def test_script_typed_in_a_statement_is_shown_as_text() -> None:
    assert render_statement("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_an_image_with_an_event_handler_is_shown_as_text() -> None:
    assert render_statement("<img src=x onerror=alert(1)>") == (
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"
    )


def test_a_raw_html_block_is_shown_as_text() -> None:
    html = render_statement(
        '<div onclick="alert(1)" style="position:fixed">\n'
        '<iframe src="https://evil.example"></iframe>\n'
        "</div>"
    )

    assert html == (
        '<p>&lt;div onclick="alert(1)" style="position:fixed"&gt;\n'
        '&lt;iframe src="https://evil.example"&gt;&lt;/iframe&gt;\n'
        "&lt;/div&gt;</p>\n"
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_a_link_to_script_has_no_href(markdown: str) -> None:
    elements = _elements(render_statement(markdown))

    assert [attrs for tag, attrs in elements.tags if tag == "a"] in ([], [[("rel", REL_VALUE)]])


def test_web_links_are_kept_and_marked_nofollow() -> None:
    assert render_statement("[our site](https://example.org/about)") == (
        f'<p><a href="https://example.org/about" {REL}>our site</a></p>\n'
    )


def test_email_links_are_kept() -> None:
    assert 'href="mailto:ann@example.org"' in render_statement("[Ann](mailto:ann@example.org)")


def test_relative_links_lose_their_target() -> None:
    # A relative link would point into this site (a logout or admin URL) from a candidate's words.
    assert render_statement("[vote](/admin/close)") == f"<p><a {REL}>vote</a></p>\n"


def test_images_are_dropped() -> None:
    html = render_statement("![me](https://tracker.example/pixel.png) Hello")

    assert "<img" not in html
    assert "tracker" not in html
    assert "Hello" in html


def test_headings_sit_below_the_page_headings() -> None:
    assert render_statement("# Why me\n\n## Record\n\n### More") == (
        "<h3>Why me</h3>\n<h4>Record</h4>\n<h4>More</h4>\n"
    )


def test_ordinary_formatting_survives() -> None:
    html = render_statement("**Fair** and *open*\n\n- one\n\n3. three\n\n> quoted")

    assert "<strong>Fair</strong>" in html
    assert "<em>open</em>" in html
    assert "<ul>\n<li>one</li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<blockquote>" in html


def test_the_sanitiser_holds_if_markdown_ever_lets_html_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statement, "_markdown", MarkdownIt("commonmark", {"html": True}))

    html = render_statement(
        '<script>alert(1)</script><p onclick="x()" style="color:red" class="c">Hi '
        '<img src=x onerror=alert(1)><iframe src="https://evil.example"></iframe>'
        '<a href="javascript:alert(1)">x</a> <a href="https://ok.example" rel="opener">ok</a></p>'
    )

    assert html == f'<p>Hi <a {REL}>x</a> <a href="https://ok.example" {REL}>ok</a></p>'


# Text with a good share of the pieces an attack is built from, not only random letters.
_fragments = st.sampled_from(
    [
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href=", "javascript:",
        "JaVaScRiPt:", "&#x6A;avascript:", "java\tscript:", "data:text/html,", "onload=", " on",
        "=", "[", "](", ")", "<", ">", '"', "'", "`", "*", "_", "#", "\n", "\n\n", "    ",
        "&", "&#58;", "&colon;", "<!--", "-->", "<![CDATA[", "\\", "!", "<style>", "<svg/onload=",
        "http://example.org", "mailto:", "<http://x.example>", "<javascript:x>", "\x00", " ",
    ]
)  # fmt: skip
_statements = st.lists(st.one_of(_fragments, st.text(max_size=8)), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(_statements)
def test_rendered_statements_never_carry_script(markdown: str) -> None:
    html = render_statement(markdown)
    elements = _elements(html)

    # Typed "<" is always escaped, so "<script" can only be an element, and never is.
    assert "<script" not in html.lower()
    assert elements.other == []
    for tag, attrs in elements.tags:
        assert tag in statement._BLOCK_TAGS | statement._INLINE_TAGS
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set())
            assert not name.startswith("on")
            assert "javascript:" not in (value or "").lower()
            if name == "href":
                assert (value or "").lower().startswith(SAFE_SCHEMES)


def test_a_statement_is_stored_without_surrounding_space_or_carriage_returns() -> None:
    assert check_statement("\n  I will serve.\r\n\r\nThank you.  \n", 250) == (
        "I will serve.\n\nThank you."
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_an_empty_statement_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement(text, 250)

    assert refused.value.fields == {"statement": "Please write a statement."}


def test_a_statement_over_the_word_limit_is_refused_with_both_counts() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement("word " * 312, 250)

    assert refused.value.status_code == 422
    assert refused.value.fields == {"statement": "Your statement has 312 words; the limit is 250."}


def test_a_statement_at_the_word_limit_is_accepted() -> None:
    assert count_words(check_statement("word " * 250, 250)) == 250


def test_markdown_syntax_does_not_count_towards_the_limit() -> None:
    text = "\n".join(f"- **word** [link](https://example.org/{n})" for n in range(125))

    assert check_statement(text, 250) == text


def test_one_word_over_a_zero_limit_is_reported_in_the_singular() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement("Hello", 0)

    assert refused.value.fields == {"statement": "Your statement has 1 word; the limit is 0."}


def test_a_statement_over_the_character_cap_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement("a" * (MAX_CHARACTERS + 1), 100_000)

    assert refused.value.fields == {
        "statement": "Your statement is 20001 characters long; the limit is 20000."
    }


def test_windows_line_breaks_count_as_one_character() -> None:
    text = "word\r\n" * (MAX_CHARACTERS // 5)  # 24,000 characters as sent, 20,000 as shown

    assert check_statement(text, 100_000) == ("word\n" * (MAX_CHARACTERS // 5)).strip()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Vote\x00for me", "U+0000"),
        ("Bell\x07", "U+0007"),
        ("\x1b[31mred", "U+001B"),
        ("next\x85line", "U+0085"),
        ("rub\x7fout", "U+007F"),
        ("half a pair \ud800", "U+D800"),
    ],
)
def test_control_characters_are_refused_by_code(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement(text, 250)

    assert refused.value.fields == {
        "statement": f"Your statement contains an invisible control character ({code}); "
        "please remove it."
    }


def test_tabs_and_line_breaks_are_not_control_characters_here() -> None:
    assert check_statement("Name:\tAnn\nRole:\tTreasurer", 250) == "Name:\tAnn\nRole:\tTreasurer"
