"""Peak memory of reading an .xlsx list whose shared-string table inflates far beyond the file's size.

Issue 17: a 400 KB .xlsx raised memory by about 830 MiB. An .xlsx is a ZIP of XML; deflate packs repeated XML
about 1000:1, and openpyxl (even in read-only mode) loads the whole shared-string table into Python objects
before the first row. This writes such a file (LEADS real rows plus STRINGS short table entries), then reads
it with the file source in a fresh interpreter per measurement and reports that interpreter's peak RSS
(`/usr/bin/time -f %M`), next to the same interpreter reading a plain CSV of the same leads.

    .venv/bin/python bench/xlsx_memory_bench.py --strings 5000000 --leads 1000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

READ = """
import sys
from connectors.sources.base import SourceState
from connectors.sources.file_source import FileSource
src = FileSource("bench", sys.argv[1])
[unit] = src.discover(SourceState())
print(sum(1 for _ in src.read(unit)))
"""


def write_book(path: Path, leads: int, strings: int) -> None:
    from openpyxl import Workbook  # the bench's own file; openpyxl comes with the project

    wb = Workbook()
    ws = wb.active
    ws.append(["Email", "First Name", "Last Name", "Phone", "Zip"])
    for i in range(leads):
        ws.append([f"lead{i}@example.com", f"Ann{i}", f"Lee{i}", f"+49 30 555{i:05d}", f"{i % 100000:05d}"])
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    table = b"".join(b"<si><t>lead name</t></si>" for _ in range(strings))
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            zout.writestr(item.filename, data)
        zout.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                      b' count="%d" uniqueCount="%d">' % (strings, strings) + table + b"</sst>")
    plain.unlink()


def peak_of_read(path: Path) -> tuple[int, float, int]:
    """(rows, seconds, peak RSS in MiB) of one fresh interpreter reading `path` with the file source.

    Through /usr/bin/time: a child forked from this (big) process would count its pages before the exec too.
    """
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "peak_kib=%M", sys.executable, "-c", READ, str(path)], check=True,
                         cwd=path.parent,  # the code imported is the installed one (or PYTHONPATH), not the cwd
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = int(next(line for line in out.stderr.splitlines() if line.startswith("peak_kib=")).split("=")[1])
    return int(out.stdout.strip().splitlines()[-1]), seconds, peak // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--strings", type=int, default=5_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadpipe-xlsx-"))
    csv = folder / "leads.csv"
    csv.write_text("Email,First Name\n" + "".join(f"lead{i}@example.com,Ann{i}\n" for i in range(args.leads)))
    book = folder / "leads.xlsx"
    write_book(book, args.leads, args.strings)
    rows, seconds, csv_peak = peak_of_read(csv)
    print(f"CSV  {csv.stat().st_size / 1024:,.0f} KB: {rows:,} rows, {seconds:.1f} s, peak RSS {csv_peak} MiB")
    rows, seconds, xlsx_peak = peak_of_read(book)
    inflated = zipfile.ZipFile(book).getinfo("xl/sharedStrings.xml").file_size
    print(f"XLSX {book.stat().st_size / 1024:,.0f} KB (shared strings {inflated / 2**20:,.0f} MiB inflated): "
          f"{rows:,} rows, {seconds:.1f} s, peak RSS {xlsx_peak} MiB")


if __name__ == "__main__":
    main()
