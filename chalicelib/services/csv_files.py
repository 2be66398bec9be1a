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
from dataclasses import dataclass

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


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SAMPLE]
    first_line = sample.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line or sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel  # one column: nothing to sniff


def parse(data: bytes | str, *, known_columns: tuple[str, ...], required: tuple[str, ...],
          column_prefixes: tuple[str, ...] = ()) -> CsvFile:
    """The file's header (lower-cased, known columns only) and rows, or InvalidInput for a
    file that is not a CSV of this kind: not text, no header, unknown or repeated columns,
    a required column missing, over MAX_COLUMNS columns or MAX_ROWS rows."""
    text = decode(data)
    if "\x00" in text:
        raise InvalidInput("The file is not CSV text.", fields={"csv": "not CSV"})
    if not text.strip():
        raise InvalidInput("The file is empty.", fields={"csv": "empty"})
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        if len(header) > MAX_COLUMNS:
            raise InvalidInput(f"The file has {len(header)} columns; at most {MAX_COLUMNS}.",
                               fields={"csv": "too many columns"})
        _check_header(header, known_columns, required, column_prefixes)
        rows: list[CsvRow] = []
        for number, cells in enumerate(reader, start=2):
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
