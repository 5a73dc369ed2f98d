"""Reading the documents back: Markdown tables by hand and through a real GFM renderer, HTML
and SVG as XML, so that tests compare fields, not snapshots."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it import MarkdownIt

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class MdTable:
    section: str  # the last heading above the table
    header: list[str]
    rows: list[list[str]]  # raw cell text, as written

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def split_row(line: str) -> list[str]:
    """The cells of one GFM table row: split on ``|`` not escaped by a backslash."""
    assert line.startswith("|"), f"not a table row: {line!r}"
    assert line.endswith("|"), f"not a table row: {line!r}"
    cells: list[str] = []
    current = ""
    escaped = False
    for ch in line[1:-1]:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    assert not escaped, f"row ends in a lone backslash: {line!r}"
    cells.append(current.strip())
    return cells


def md_tables(text: str) -> list[MdTable]:
    """Every table of a Markdown document, checking that each row has the header's width."""
    tables: list[MdTable] = []
    section = ""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if (
            line.startswith("|")
            and index + 1 < len(lines)
            and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[index + 1])
        ):
            header = split_row(line)
            assert len(split_row(lines[index + 1])) == len(header)
            rows = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                row = split_row(lines[index])
                assert len(row) == len(header), f"row {lines[index]!r} has {len(row)} cells"
                rows.append(row)
                index += 1
            tables.append(MdTable(section, header, rows))
            continue
        index += 1
    return tables


def md_table(text: str, section: str) -> MdTable:
    found = [t for t in md_tables(text) if t.section == section]
    assert len(found) == 1, f"expected one table under {section!r}, found {len(found)}"
    return found[0]


def unescape_cell(cell: str) -> str:
    """What a GFM renderer shows for a cell we escaped: the original text back."""
    text = cell.replace("<br>", "\n")
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text)


class _RenderedTables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rendered_tables(markdown: str) -> list[list[list[str]]]:
    """The tables as a CommonMark + GFM-tables renderer (markdown-it-py) shows them."""
    parser = _RenderedTables()
    parser.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    return parser.tables


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check_html(page: str) -> ET.Element:
    """Parse ``page`` with html.parser (balanced tags) and as XML; return the XML root."""
    balance = _Balance()
    balance.feed(page)
    balance.close()
    assert not balance.errors, balance.errors[:5]
    assert not balance.stack, f"unclosed: {balance.stack}"
    assert "script" not in balance.tags
    assert page.lstrip().startswith("<!DOCTYPE html>")
    return ET.fromstring(page)


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def html_section_tables(root: ET.Element, section_id: str) -> list[list[list[str]]]:
    """The tables under ``<section id=…>``: rows of cell texts (th and td)."""
    section = root.find(f".//section[@id='{section_id}']")
    assert section is not None, f"no section {section_id}"
    return [
        [[text_of(cell) for cell in tr if cell.tag in ("th", "td")] for tr in table.iter("tr")]
        for table in section.iter("table")
    ]
