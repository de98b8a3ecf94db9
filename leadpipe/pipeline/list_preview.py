"""The list preview: who would go on a rebuilt prospect list, and who is left out and why, before anyone approves.

Read from the plan files of one rebuild (plan.json, plan_records.json, plan_people.json). The `plan` task
writes list_preview.html, .csv and .xlsx next to them, so the preview opens from the run folder too; the
Airflow plugin renders the same page live with the sort order the person clicked (`?sort=score&order=desc`).
No JavaScript: sorting is a link. Every value is HTML-escaped (names come from vendor files and web forms).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from leadpipe.pipeline.spreadsheets import csv_bytes, xlsx_bytes

ACTION_WORDS = {"create": "create (new in the CRM)", "update": "update (changed since the last write)",
                "skip": "skip (unchanged, not sent)"}
# (key, column heading) in the order shown and downloaded
MEMBER_COLUMNS = (("name", "Name"), ("email", "Email"), ("company", "Company"), ("job_title", "Title"),
                  ("market", "Market"), ("persona", "Persona"), ("score", "Score"), ("tier", "Tier"),
                  ("action", "CRM action"))
SUPPRESSED_COLUMNS = (("name", "Name"), ("company", "Company"), ("job_title", "Title"), ("market", "Market"),
                      ("persona", "Persona"), ("score", "Score"), ("tier", "Tier"), ("reason", "Why left out"))
DEFAULT_SORT = ("score", "desc")
FILES = ("list_preview.html", "list_preview.csv", "list_preview.xlsx")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.8rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left}
th a{color:inherit}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}
.downloads a{margin-right:1rem}
"""


@dataclass(frozen=True)
class ListPreview:
    list_name: str
    counts: dict
    members: list[dict]
    suppressed: list[dict]


def _name(rec: dict) -> str:
    return " ".join(str(rec[k]) for k in ("first_name", "last_name") if rec.get(k)).strip()


def load_preview(folder: Path, market_labels: dict[str, str] | None = None) -> ListPreview:
    """The preview rows of the rebuild whose plan files are in ``folder`` (FileNotFoundError: no plan yet)."""
    labels = market_labels or {}
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    planned = json.loads((folder / "plan_records.json").read_text(encoding="utf-8"))
    people_file = folder / "plan_people.json"
    extra = json.loads(people_file.read_text(encoding="utf-8")) if people_file.exists() else {}
    left_out, personas = extra.get("suppressed", []), extra.get("persona", {})
    members = []
    for p in planned:
        rec = p.get("record") or {}
        members.append({"name": _name(rec), "email": rec.get("email"), "company": rec.get("company"),
                        "job_title": rec.get("job_title"),
                        "market": labels.get(rec.get("market"), rec.get("market")),
                        "persona": rec.get("persona") or personas.get(p.get("person_id")),
                        "score": rec.get("score"), "tier": rec.get("tier"),
                        "action": p.get("action"), "person_id": p.get("person_id")})
    suppressed = [{**s, "name": _name(s), "market": labels.get(s.get("market"), s.get("market"))} for s in left_out]
    return ListPreview(plan["segment"]["list_name"], plan["counts"], members, suppressed)


def sort_rows(rows: list[dict], key: str | None, order: str | None, columns=MEMBER_COLUMNS) -> list[dict]:
    """Rows sorted by a known column (anything else: the default, best score first); blanks always last."""
    known = {k for k, _ in columns}
    if key not in known:
        key, order = DEFAULT_SORT if "score" in known else (columns[0][0], "asc")
    reverse = order == "desc"
    filled = [r for r in rows if r.get(key) not in (None, "")]
    blank = [r for r in rows if r.get(key) in (None, "")]
    numeric = all(isinstance(r[key], (int, float)) for r in filled)
    filled.sort(key=lambda r: r[key] if numeric else str(r[key]).casefold(), reverse=reverse)
    return filled + blank


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(table_id: str, columns, rows: list[dict], sort: str, order: str, other: dict[str, str],
           params: tuple[str, str] = ("sort", "order")) -> str:
    """A table whose headings are sort links; ``params`` are this table's query keys, ``other`` the other's."""
    head = []
    for key, title in columns:
        next_order = "asc" if key == sort and order == "desc" else "desc" if key == sort else \
            ("desc" if key == "score" else "asc")
        arrow = (" ▼" if order == "desc" else " ▲") if key == sort else ""
        query = urlencode({**other, params[0]: key, params[1]: next_order})
        cls = ' class="n"' if key == "score" else ""
        head.append(f'<th{cls} aria-sort="{"none" if key != sort else order + "ending"}">'
                    f'<a href="?{_e(query)}#{table_id}">{_e(title)}{arrow}</a></th>')
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            value = ACTION_WORDS.get(r.get(key), r.get(key)) if key == "action" else r.get(key)
            cells.append(f'<td class="n">{_e(value)}</td>' if key == "score" else f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="muted" id="{table_id}">nobody</p>'
    return f'<table id="{table_id}"><thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def render_list_preview(preview: ListPreview, sort: str | None = None, order: str | None = None,
                        suppressed_sort: str | None = None, suppressed_order: str | None = None) -> str:
    """The preview page; each table sorts on its own (the other table's order is kept in the links)."""
    c = preview.counts
    members = sort_rows(preview.members, sort, order)
    left_out = sort_rows(preview.suppressed, suppressed_sort, suppressed_order, SUPPRESSED_COLUMNS)
    m_sort = sort if sort in dict(MEMBER_COLUMNS) else DEFAULT_SORT[0]
    m_order = order if sort in dict(MEMBER_COLUMNS) and order in ("asc", "desc") else DEFAULT_SORT[1]
    s_sort = suppressed_sort if suppressed_sort in dict(SUPPRESSED_COLUMNS) else DEFAULT_SORT[0]
    s_order = suppressed_order if suppressed_sort in dict(SUPPRESSED_COLUMNS) and suppressed_order in ("asc", "desc") \
        else DEFAULT_SORT[1]
    keep_s = {"ssort": s_sort, "sorder": s_order}
    keep_m = {"sort": m_sort, "order": m_order}
    s_table = _table("suppressed", SUPPRESSED_COLUMNS, left_out, s_sort, s_order, keep_m, ("ssort", "sorder"))
    summary = (f'<p id="preview-summary">{len(preview.members):,} people on the list: {c.get("create", 0):,} to create, '
               f'{c.get("update", 0):,} to update, {c.get("skip", 0):,} unchanged (not sent). '
               f'{len(preview.suppressed):,} left out by suppression.</p>')
    body = [
        summary,
        ('<p class="downloads">Download the members: <a href="list_preview.csv" download>CSV</a>'
         '<a href="list_preview.xlsx" download>Excel (XLSX)</a></p>'),
        "<h2>On the list</h2>", _table("members", MEMBER_COLUMNS, members, m_sort, m_order, keep_s),
        "<h2>Left out (suppressed)</h2>", s_table,
    ]
    title = f"List preview: {preview.list_name}"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>{"".join(body)}</body></html>')


def member_table(preview: ListPreview) -> tuple[list[str], list[list[object]]]:
    """Header and rows of the download, best score first (person_id last: the key the CRM import uses)."""
    headers = [k for k, _ in MEMBER_COLUMNS] + ["person_id"]
    rows = [[m.get(h) for h in headers] for m in sort_rows(preview.members, *DEFAULT_SORT)]
    return headers, rows


def write_list_preview(folder: Path, market_labels: dict[str, str] | None = None) -> Path:
    """Write list_preview.html, .csv and .xlsx next to the plan; returns the HTML page."""
    preview = load_preview(folder, market_labels)
    headers, rows = member_table(preview)
    (folder / "list_preview.csv").write_bytes(csv_bytes(headers, rows))
    (folder / "list_preview.xlsx").write_bytes(xlsx_bytes(headers, rows, sheet="members"))
    page = folder / "list_preview.html"
    page.write_text(render_list_preview(preview), encoding="utf-8")
    return page
