"""Reading a CSV file an agent uploads (product.md §10, imports): UTF-8 with or without a
byte-order mark, Excel's dialects (comma or semicolon, quoted fields, CRLF), a header row,
at most MAX_ROWS rows and MAX_COLUMNS columns. What the whole file gets wrong is one
InvalidInput (the request's 400); what one row gets wrong is that row's problem, later.

Portico exports no CSV; `spreadsheet_safe` is what an export must apply to every cell
(a cell starting with = + - @, tab or CR is a formula to a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from chalicelib.errors import InvalidInput

MAX_ROWS = 10_000
MAX_COLUMNS = 50
DELIMITERS = ",;\t"
_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class CsvRow:
    number: int  # the record's number in the file: the header is 1
    values: dict[str, str]  # header -> cell (stripped); cells past the header are `extra`
    extra: int = 0


@dataclass(frozen=True)
class CsvFile:
    header: list[str]
    rows: list[CsvRow]


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text (save it from Excel as \"CSV UTF-8\").",
                           fields={"csv": "not UTF-8"}) from None


def _dialect(header_line: str) -> type[csv.Dialect] | csv.Dialect:
    """Excel's dialect (comma, semicolon or tab), from the header line."""
    try:
        return csv.Sniffer().sniff(header_line[:_SAMPLE], delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel  # one column: nothing to sniff


def parse(data: bytes | str, *, known_columns: tuple[str, ...], required: tuple[str, ...],
          column_prefixes: tuple[str, ...] = ()) -> CsvFile:
    """The file's header (lower-cased, known columns only) and rows, or InvalidInput for a
    file that is not a CSV of this kind: not text, no header, unknown or repeated columns,
    a required column missing, over MAX_COLUMNS columns or MAX_ROWS rows."""
    text = decode(data)
    return parse_text(io.StringIO(text, newline=""), known_columns=known_columns, required=required,
                      column_prefixes=column_prefixes)


def parse_stream(source: Any, max_bytes: int, *, known_columns: tuple[str, ...], required: tuple[str, ...],
                 column_prefixes: tuple[str, ...] = ()) -> CsvFile:
    """`parse` for a file read as it arrives (`source.read(n)`: an upload's S3 body): never the
    whole file in memory as bytes or text, only its rows; past `max_bytes` it is refused."""
    raw = io.BufferedReader(Limited(source, max_bytes), buffer_size=64 * 1024)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        return parse_text(text, known_columns=known_columns, required=required, column_prefixes=column_prefixes)
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text (save it from Excel as \"CSV UTF-8\").",
                           fields={"csv": "not UTF-8"}) from None


def parse_text(text: TextIO, *, known_columns: tuple[str, ...], required: tuple[str, ...],
               column_prefixes: tuple[str, ...] = ()) -> CsvFile:
    """`parse` over text read line by line (opened with newline="", as the csv module wants)."""
    first = text.readline()
    skipped = 0
    while first and not first.strip():  # blank lines before the header
        first, skipped = text.readline(), skipped + 1
    if not first:
        raise InvalidInput("The file is empty.", fields={"csv": "empty"})
    reader = csv.reader(_checked_lines(first, text), _dialect(first))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        if len(header) > MAX_COLUMNS:
            raise InvalidInput(f"The file has {len(header)} columns; at most {MAX_COLUMNS}.",
                               fields={"csv": "too many columns"})
        _check_header(header, known_columns, required, column_prefixes)
        rows: list[CsvRow] = []
        for number, cells in enumerate(reader, start=2 + skipped):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (Excel leaves some at the end)
            if len(rows) == MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS} rows; split it.",
                                   fields={"csv": "too many rows"})
            values = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
            rows.append(CsvRow(number, values, max(0, len(cells) - len(header))))
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV: {error}.", fields={"csv": "not CSV"}) from None
    return CsvFile(header, rows)


def _checked_lines(first: str, rest: Iterable[str]) -> Iterator[str]:
    for line in itertools.chain((first,), rest):
        if "\x00" in line:
            raise InvalidInput("The file is not CSV text.", fields={"csv": "not CSV"})
        yield line


class Limited(io.RawIOBase):
    """A byte stream that refuses to go past `limit` bytes (a file bigger than it says it is:
    InvalidInput, without reading the rest)."""

    def __init__(self, source: Any, limit: int) -> None:
        self._source, self._limit, self._read = source, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._source.read(min(len(buffer), self._limit + 1 - self._read))
        self._read += len(chunk)
        if self._read > self._limit:
            raise InvalidInput(f"The file is larger than {self._limit} bytes.", fields={"csv": "too large"})
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _check_header(header: list[str], known: tuple[str, ...], required: tuple[str, ...],
                  prefixes: tuple[str, ...]) -> None:
    unknown = [name for name in header if name not in known and not name.startswith(prefixes)]
    if unknown:
        expected = ", ".join(known + tuple(f"{prefix}<name>" for prefix in prefixes))
        raise InvalidInput(f"Unknown column {unknown[0]!r} (the first row names the columns: {expected}).",
                           fields={"csv": "unknown column"})
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidInput(f"The column {repeated[0]!r} appears twice.", fields={"csv": "repeated column"})
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(f"The column {missing[0]!r} is required.", fields={"csv": "missing column"})


def spreadsheet_safe(cell: str) -> str:
    """A cell as an export must write it: a leading ' keeps a spreadsheet from running it."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
