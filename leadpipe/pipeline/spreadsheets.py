"""CSV and Excel files for sales-ops: the same rows, two formats.

Excel treats a cell that starts with "=" as a formula, and a formula can fetch URLs or run commands when the
file is opened. Names, companies and titles come from vendor files and web forms (hostile input), so every
text cell is written as text, never as a formula; only the columns named numeric are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from leadpipe.core.spreadsheet import neutralise_formula, neutralise_row

NUMERIC_COLUMNS = frozenset({"score", "annual_revenue"})


def _number(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        text = str(value).strip()
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except (TypeError, ValueError):
        return value


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "list") -> bytes:
    """One sheet, a header row, then the rows; text stays text (no formulas), see the module docstring."""
    # openpyxl costs a few hundred ms to import: only a download or a rebuild's plan task pays for it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31] or "list")

    def text_cell(value: object) -> WriteOnlyCell:
        # control characters (normalisation removes them; older rows may still hold some) cannot be stored in
        # a worksheet, openpyxl would refuse the whole download; data_type "s": a leading "=" stays text
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"
        return cell

    ws.append([text_cell(h) for h in headers])
    numeric = [h in NUMERIC_COLUMNS for h in headers]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if value is None or value == "":
                cells.append(None)
                continue
            if i < len(numeric) and numeric[i]:
                value = _number(value)
                if not isinstance(value, str):
                    cells.append(value)
                    continue
            cells.append(text_cell(value))
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(neutralise_row(headers))
    # text cells from people's data are formula-safe (OWASP CSV injection); numbers stay numbers
    writer.writerows([neutralise_formula(v) if isinstance(v, str) else "" if v is None else v for v in row]
                     for row in rows)
    return out.getvalue().encode("utf-8")


def csv_to_xlsx(data: bytes, sheet: str = "list") -> bytes:
    """An Excel copy of a CSV file the pipeline wrote (the CRM import file, the list members)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    headers = next(reader, [])
    return xlsx_bytes(headers, reader, sheet)
