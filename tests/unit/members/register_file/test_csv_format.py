"""Reading register CSV files as spreadsheets save them: encodings, delimiters, header mapping,
and the export's formula neutralisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.members.register_file.columns import (
    CP1252,
    DEFAULT_HEADINGS,
    UTF8,
    PlanError,
    UnreadableFile,
    heading_key,
    neutralise,
    open_table,
    parse_mapping,
    plan_columns,
    scan,
)

HEADER = "Membership number,Name,Email\r\n"


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "register.csv"
    path.write_bytes(content)
    return path


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    table = open_table(path, scan(path).encoding)
    with table.stream:
        return [(table.header_line, table.header), *table.records()]


def test_utf8_with_and_without_bom_read_the_same(tmp_path: Path) -> None:
    text = HEADER + "M1,Siân Évans,sian@example.org\r\n"
    plain = _rows(_write(tmp_path, text.encode("utf-8")))
    with_bom = _rows(_write(tmp_path, text.encode("utf-8-sig")))
    assert plain == with_bom
    assert plain[0] == (1, ["Membership number", "Name", "Email"])
    assert plain[1] == (2, ["M1", "Siân Évans", "sian@example.org"])
    assert scan(_write(tmp_path, text.encode("utf-8-sig"))).encoding == UTF8


def test_windows_1252_is_read_when_the_file_is_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, (HEADER + "M1,Zoë O’Brien – Trust,z@example.org\r\n").encode(CP1252))
    assert scan(path).encoding == CP1252
    assert _rows(path)[1][1][1] == "Zoë O’Brien – Trust"


def test_bytes_neither_utf8_nor_windows_1252_are_refused_with_the_position(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, HEADER.encode() + b"M1,\xe9\x81,x@example.org\r\n")
    with pytest.raises(UnreadableFile, match="byte 0x81 at position 34"):
        scan(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("Name\r\n".encode("utf-16"), "UTF-16"),
        (b"Name,Email\r\nA\x00,b\r\n", "NUL"),
    ],
)
def test_files_that_are_not_csv_text_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(UnreadableFile, match=message):
        scan(_write(tmp_path, content))


def test_digest_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    content = (HEADER + "M1,Ann,ann@example.org\r\n").encode()
    assert scan(_write(tmp_path, content)).digest == hashlib.sha256(content).hexdigest()


def test_semicolon_files_are_detected_from_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, b"Member no;Name;Email\r\nM1;Smith, Ann;ann@example.org\r\n")
    assert _rows(path)[1] == (2, ["M1", "Smith, Ann", "ann@example.org"])


def test_excel_sep_line_names_the_delimiter_and_lines_still_count_from_the_top(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, b"sep=;\r\nMember no;Name;Email\r\nM1;Ann;ann@example.org\r\n")
    rows = _rows(path)
    assert rows[0] == (2, ["Member no", "Name", "Email"])
    assert rows[1] == (3, ["M1", "Ann", "ann@example.org"])


def test_a_quoted_cell_over_two_lines_reports_the_line_the_row_starts_on(tmp_path: Path) -> None:
    content = HEADER + 'M1,"Ann\r\nEvans",ann@example.org\r\nM2,Bob,bob@example.org\r\n'
    rows = _rows(_write(tmp_path, content.encode()))
    assert [line for line, _cells in rows] == [1, 2, 4]


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Membership number", "membership_number"),
        ("Member no", "membership_number"),
        ("membership_number", "membership_number"),
        ("E-mail", "email"),
        ("Email address", "email"),
        ("Trust", "organisation"),
        ("Organization", "organisation"),
        ("Joined", "joined_on"),
        ("Join date", "joined_on"),
        ("Membership status", "status"),
    ],
)
def test_default_mapping_reads_common_headings(heading: str, field: str) -> None:
    assert DEFAULT_HEADINGS[heading_key(heading)] == field


def test_unknown_columns_are_kept_as_attributes_and_overrides_win() -> None:
    plan = plan_columns(
        ["Ref", "Full name", "E-mail", "Email", "Phone", ""],
        {"Ref": "membership_number", "Email": "attribute"},
    )
    assert plan.fields == {"membership_number": 0, "name": 1, "email": 2}
    assert plan.attributes == ((3, "Email"), (4, "Phone"))
    assert plan.unnamed == (5,)


def test_two_columns_for_one_field_and_missing_required_columns_are_named() -> None:
    with pytest.raises(PlanError) as raised:
        plan_columns(["Email", "E-mail", "Phone"])
    problems = raised.value.problems
    assert any('"Email" and "E-mail" both hold email' in p for p in problems)
    assert any("No column holds membership_number" in p for p in problems)
    assert any("No column holds name" in p for p in problems)


def test_mapping_option_parses_pairs_and_rejects_unknown_fields() -> None:
    assert parse_mapping(["Ref=membership_number", "A=B=attribute"]) == {
        "Ref": "membership_number",
        "A=B": "attribute",
    }
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_mapping(["Ref=number"])
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_mapping(["membership_number"])


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Ann = Bob", "Ann = Bob"),
        ("<b>bold</b>", "<b>bold</b>"),
        ("", ""),
    ],
)
def test_formula_like_cells_are_neutralised_with_a_leading_quote(cell: str, exported: str) -> None:
    assert neutralise(cell) == exported


def test_rows_after_a_heading_over_two_lines_keep_their_file_line_numbers(
    tmp_path: Path,
) -> None:
    content = 'Membership number,"Full\r\nname",Email\r\nM1,Ann,ann@example.org\r\n'
    rows = _rows(_write(tmp_path, content.encode()))
    assert rows[0][1] == ["Membership number", "Full\r\nname", "Email"]
    assert rows[1] == (3, ["M1", "Ann", "ann@example.org"])
