"""HTML run reports a person opens instead of reading task logs.

One self-contained file per run (inline CSS and SVG bar charts, no JavaScript, nothing fetched), so it
opens from the run folder, a CI artefact or an e-mail attachment alike. Every value from the data
(source names, reasons, list names) is HTML-escaped: reasons can quote the input files.
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select

from expectations.messages import SUITE_TITLES, place, title_of_check_name, verdict
from leadpipe.core.redact import mask_text
from leadpipe.pipeline.rebuild import persona_of
from leadpipe.pipeline.settings import Config
from leadpipe.store.run_paths import at
from leadpipe.store.warehouse import engine_for, outcomes, people, push_ledger, quarantine, validation_results

log = logging.getLogger("leadpipe")

OUTCOME_COLOURS = {"pushed": "#2e7d32", "merged": "#1565c0", "suppressed": "#ef6c00", "disqualified": "#757575",
                   "quarantined": "#c62828"}
TOP_REASONS = 10
QUARANTINE_ROWS_SHOWN = 200  # the report lists this many quarantined rows; the warehouse has them all

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:980px;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#2e7d32}.bad{color:#c62828;font-weight:600}
.muted{color:#777;font-size:.9rem}.warn{color:#ef6c00}
.bar{display:inline-block;height:.8rem;vertical-align:middle;margin-right:.4rem}td.why{max-width:640px}.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def relative_href(path: str, base: str | None) -> str:
    """The link from a report in folder ``base`` to ``path``: relative when the file is under that folder, so
    it works from the run folder and through the Airflow UI (which serves the run folder's layout) alike."""
    if base:
        prefix = base.rstrip("/") + "/"
        if path.startswith(prefix):
            return quote(path[len(prefix):])
    p = Path(path)
    return path if "://" in path else p.as_uri() if p.is_absolute() else quote(path)  # object storage: its URL


def _link(path: str | None, text: str, base: str | None = None) -> str:
    if not path:
        return '<span class="muted">not available</span>'
    return f'<a href="{_e(relative_href(path, base))}">{_e(text)}</a>'


def bar_chart(items: list[tuple[str, int]], colour: str = "#1565c0", title: str = "") -> str:
    """Horizontal bars, one per (label, value); the value is printed too, so the chart reads without colour."""
    if not items:
        return '<p class="muted">nothing to show</p>'
    top = max(v for _, v in items) or 1
    label_w, bar_w, row_h = 260, 520, 24
    rows = []
    for i, (label, value) in enumerate(items):
        y = i * row_h
        w = round(bar_w * value / top)
        rows.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end"><title>{_e(label)}</title>'
            f'{_e(label if len(label) <= 34 else label[:33] + "…")}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}">{value:,}</text>'
        )
    height = row_h * len(items)
    return (f'<svg role="img" aria-label="{_e(title)}" width="{label_w + bar_w + 80}" height="{height}" '
            f'font-size="13" xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>')


def stacked_chart(rows: dict[str, dict[str, int]], keys: list[str]) -> str:
    """One bar per source, split by outcome: where did each source's rows end up?"""
    if not rows:
        return '<p class="muted">nothing to show</p>'
    top = max(sum(c.get(k, 0) for k in keys) for c in rows.values()) or 1
    label_w, bar_w, row_h = 200, 600, 26
    parts = []
    for i, (name, counts) in enumerate(sorted(rows.items())):
        y, x = i * row_h, label_w
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{_e(name)}</text>')
        for k in keys:
            w = round(bar_w * counts.get(k, 0) / top)
            if w:
                parts.append(f'<rect x="{x}" y="{y + 4}" width="{w}" height="{row_h - 8}" '
                             f'fill="{OUTCOME_COLOURS.get(k, "#999")}"><title>{_e(k)}: {counts.get(k, 0):,}</title></rect>')
                x += w
    legend = "".join(f'<span><i style="background:{OUTCOME_COLOURS.get(k, "#999")}"></i>{_e(k)}</span>' for k in keys)
    return (f'<svg role="img" aria-label="outcomes by source" width="{label_w + bar_w + 20}" '
            f'height="{row_h * len(rows)}" font-size="13" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
            f'<div class="legend">{legend}</div>')


def _table(headers: list[str], rows: list[list[object]], numeric_from: int = 1) -> str:
    head = "".join(f'<th class="{"n" if i >= numeric_from else ""}">{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{v:,}</td>' if isinstance(v, int) and i >= numeric_from else f"<td>{_e(v)}</td>"
            for i, v in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>")


# ---------------------------------------------------------------- nightly run


def run_report_data(cfg: Config, run_id: str) -> dict:
    """What the run report shows beyond summary.json, read from the warehouse."""
    engine = engine_for(cfg.warehouse_url)
    market_labels = {m.name: m.label for m in cfg.markets}
    with engine.connect() as conn:
        q_reasons = conn.execute(
            select(quarantine.c.check_name, func.count()).where(quarantine.c.run_id == run_id)
            .group_by(quarantine.c.check_name).order_by(func.count().desc()).limit(TOP_REASONS)).all()
        q_rows = conn.execute(
            select(quarantine.c.source, quarantine.c.source_file, quarantine.c.source_row, quarantine.c.reason)
            .where(quarantine.c.run_id == run_id)
            .order_by(quarantine.c.source, quarantine.c.source_file, quarantine.c.source_row)
            .limit(QUARANTINE_ROWS_SHOWN)).all()
        s_reasons = conn.execute(
            select(outcomes.c.reason, func.count())
            .where(outcomes.c.run_id == run_id, outcomes.c.outcome == "suppressed")
            .group_by(outcomes.c.reason).order_by(func.count().desc()).limit(TOP_REASONS)).all()
        segs = conn.execute(select(people.c.segments).where(people.c.updated_run_id == run_id)).scalars().all()
        checks = conn.execute(select(validation_results.c.suite, validation_results.c.success,
                                     validation_results.c.statistics, validation_results.c.failures,
                                     validation_results.c.warnings)
                              .where(validation_results.c.run_id == run_id)
                              .order_by(validation_results.c.source, validation_results.c.created_at)).all()
        pushed = conn.execute(select(push_ledger.c.sink, func.count()).where(push_ledger.c.run_id == run_id)
                              .group_by(push_ledger.c.sink)).all()
    markets: Counter[str] = Counter()
    persona_counts: Counter[str] = Counter()
    for s in segs:
        s = s or {}
        markets[market_labels.get((s.get("markets") or [None])[0], "no market")] += 1
        persona_counts[persona_of(cfg.personas, s) or "no persona"] += 1
    return {
        "quarantine_reasons": [(title_of_check_name(r), n) for r, n in q_reasons],
        "quarantined_rows": [(src, place(f, r), why) for src, f, r, why in q_rows],
        "suppression_reasons": [(r, n) for r, n in s_reasons],
        "markets": markets.most_common(),
        "personas": persona_counts.most_common(),
        "checks": [{"suite": s, "success": bool(ok), "statistics": st or {}, "failures": list(fails or []),
                    "warnings": list(warns or [])} for s, ok, st, fails, warns in checks],
        "pushed_by_sink": dict(pushed),
    }


def render_run_report(summary: dict, data: dict) -> str:
    f = summary["funnel"]
    keys = list(OUTCOME_COLOURS)
    funnel = [("rows in", summary["raw_rows"]), ("valid rows", f["valid"]), ("unique people", f["unique_people"]),
              ("qualified prospects", f["qualified"]), ("pushed to the CRM", f["pushed"])]
    requal = summary.get("requalification") or {}
    if requal.get("people") or f.get("pushed_requalified"):
        funnel.append(("pushed after re-qualification", f.get("pushed_requalified", 0)))
    by_source = summary["by_source"]
    parts = [f'<p class="muted">run {_e(summary["run_id"])}</p>', _status(summary)]
    warnings = summary.get("source_warnings", {})
    if warnings:
        items = "".join(f"<li><b>{_e(s)}</b>: {_e(m)}</li>" for s, ms in sorted(warnings.items()) for m in ms)
        parts.append(f'<p class="muted">Source warnings (the run did not fail for these):</p><ul>{items}</ul>')
    base = summary.get("outputs", {}).get("run_folder")  # report.html is written there
    parts += [
        "<h2>Funnel</h2>", bar_chart(funnel, "#1565c0", "funnel"), _requalified(requal, f),
        "<h2>Outcomes by source</h2>", stacked_chart(by_source, keys),
        _table(["source", "rows in", *keys, "released (carried on)", "already ingested (skipped)"],
               [[s, c["raw_rows"], *[c.get(k, 0) for k in keys], c.get("released", 0), c.get("already_ingested", 0)]
                for s, c in sorted(by_source.items())]),
        "<h2>Segments and personas</h2><p class='muted'>people created or updated in this run</p>",
        bar_chart(data["markets"], "#6a1b9a", "markets"), bar_chart(data["personas"], "#00838f", "personas"),
        "<h2>Data quality</h2>", _quality(data["checks"], summary.get("data_docs", {}), base),
        "<h2>Top quarantine reasons</h2>",
        _reason_table(data["quarantine_reasons"], OUTCOME_COLOURS["quarantined"], "quarantine reasons"),
        _quarantined_rows(data.get("quarantined_rows", []), summary["outcomes"].get("quarantined", 0)),
        "<h2>Top suppression reasons</h2>",
        _reason_table(data["suppression_reasons"], OUTCOME_COLOURS["suppressed"], "suppression reasons"),
        "<h2>CRM results</h2>",
        _table(["CRM", "created or updated in this run"], [[k, v] for k, v in sorted(data["pushed_by_sink"].items())])
        if data["pushed_by_sink"] else '<p class="muted">nothing was written to a CRM in this run</p>',
        "<h2>CRM feedback</h2>", _crm_feedback(summary.get("crm_feedback")),
        (f"<p>prospects pushed: {f['pushed']:,}; pushed after re-qualification: {f.get('pushed_requalified', 0):,}; "
         f"CRM import file: {_link(summary.get('outputs', {}).get('crm_import_csv'), 'crm_import.csv', base)}</p>"),
    ]
    return _page("leadpipe run report", "".join(parts))


def _status(summary: dict) -> str:
    """The run's status and, when it failed, every reason in full."""
    reasons = summary.get("reasons")
    if reasons is None:  # a summary written before runs carried a status
        reasons = [f"{s}: {m}" for s, ms in sorted({**summary.get("source_errors", {}),
                                                    **summary.get("rejected_batches", {})}.items()) for m in ms]
    if not reasons:
        return '<p id="run-status" class="ok">The run succeeded.</p>'
    items = "".join(f"<li>{_e(r)}</li>" for r in reasons)
    return f'<p id="run-status" class="bad">The run failed:</p><ul id="run-reasons">{items}</ul>'


def _requalified(requal: dict, f: dict) -> str:
    if not (requal.get("people") or f.get("pushed_requalified")):
        return ""
    what = "What a CRM reported back" if requal.get("crm_feedback") else "A qualification config change"
    return (f'<p id="requalified">{what} re-decided {requal.get("people", 0):,} people who '
            f'brought no new row: {requal.get("newly_qualified", 0):,} newly qualified, '
            f'{requal.get("newly_disqualified", 0):,} no longer qualified; '
            f'{f.get("pushed_requalified", 0):,} of them pushed to the CRM (counted on their own line, not in '
            '"pushed to the CRM").</p>')


FEEDBACK_KINDS = ("email_opt_out", "email_hard_bounce", "do_not_call", "lead_status", "lifecycle", "converted",
                  "owner")


def _crm_feedback(result: dict | None) -> str:
    """What each CRM reported back this run: per kind, the new facts and how many of them set something
    (an opt-out, a bounce, a status ...); a CRM that could not be read says why."""
    if not result:
        return '<p class="muted">no CRM feedback was read in this run</p>'
    rows, notes = [], []
    for crm, r in sorted(result.items()):
        if r.get("error") or r.get("skipped"):
            notes.append(f"<li><b>{_e(crm)}</b>: {'not read: ' if r.get('error') else 'skipped: '}"
                         f"{_e(r.get('error') or r.get('skipped'))}</li>")
            continue
        new, set_ = r.get("by_kind") or {}, r.get("set") or {}
        rows.append([crm, r.get("pulled", 0), r.get("new", 0)] + [f"{set_.get(k, 0):,} of {new.get(k, 0):,}"
                                                                 for k in FEEDBACK_KINDS])
    table = _table(["CRM", "facts read", "new"] + [f"{k} (set of new)" for k in FEEDBACK_KINDS], rows,
                   numeric_from=1) if rows else ""
    return f'<div id="crm-feedback">{table}{"<ul>" + "".join(notes) + "</ul>" if notes else ""}</div>'


def _quality(checks: list[dict], docs: dict, base: str | None = None) -> str:
    """One line per suite run: what it checked, the verdict in words, every failure and warning in full."""
    if not checks:
        return '<p class="muted">no checks ran</p>'
    rows = []
    for c in checks:
        suite, _, source = c["suite"].partition(":")
        st = c["statistics"]
        said = st.get("verdict") or verdict(bool(c["failures"]), int(st.get("rows_failed") or 0), len(c["warnings"]))
        css = "bad" if said.startswith("stopped") else "warn" if said != "passed" else "ok"
        name = SUITE_TITLES.get(suite, suite) + ("" if source == suite or not source else f" ({source})")
        notes = "".join(f'<li class="bad">{_e(m)}</li>' for m in c["failures"])
        notes += "".join(f'<li class="warn">warning: {_e(m)}</li>' for m in c["warnings"])
        rows.append(f"<tr><td>{_e(name)}</td><td class='{css}'>{_e(said)}</td><td class='why'>"
                    f"{f'<ul>{notes}</ul>' if notes else ''}</td>"
                    f"<td>{_link(docs.get(source), 'Data Docs', base)}</td></tr>")
    return ("<table><thead><tr><th>checks</th><th>result</th><th>details</th><th>Data Docs</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _reason_table(items: list[tuple[str, int]], colour: str, title: str) -> str:
    """Reasons with counts as a table: the whole reason, however long, and a bar scaled to the largest."""
    if not items:
        return '<p class="muted">nothing to show</p>'
    top = max(n for _, n in items) or 1
    rows = "".join(
        f'<tr><td class="why">{_e(reason)}</td><td class="n">{n:,}</td><td><span class="bar" '
        f'style="width:{max(1, round(240 * n / top))}px;background:{colour}"></span></td></tr>'
        for reason, n in items)
    return (f'<table aria-label="{_e(title)}"><thead><tr><th>reason</th><th class="n">rows</th><th></th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def _quarantined_rows(rows: list[tuple[str, str, str]], total: int) -> str:
    """Each quarantined row with the file's row number and the whole reason, the offending value included."""
    if not rows:
        return ""
    more = (f'<p class="muted">the first {len(rows):,} of {total:,} quarantined rows; all of them are in the '
            "warehouse's quarantine table</p>") if total > len(rows) else ""
    body = "".join(f"<tr><td>{_e(src)}</td><td>{_e(where)}</td><td class='why'>{_e(why)}</td></tr>"
                   for src, where, why in rows)
    return ('<h3>Quarantined rows</h3><p class="muted">row numbers as in a spreadsheet: the header is row 1</p>'
            f'<table id="quarantined-rows"><thead><tr><th>source</th><th>where</th><th>why</th></tr></thead>'
            f"<tbody>{body}</tbody></table>{more}")


def write_run_report(cfg: Config, run_id: str, summary: dict) -> Path:
    """Write report.html next to summary.json and return its path."""
    out = at(cfg, summary["outputs"]["run_folder"]) / "report.html"
    out.write_text(mask_text(render_run_report(summary, run_report_data(cfg, run_id))), encoding="utf-8")
    log.info("run report: %s", out)
    return out


# ---------------------------------------------------------------- list rebuild


def render_rebuild_report(plan: dict, crm: dict | None, approval: str, folder: str | None = None) -> str:
    """The rebuild's report; ``folder`` is where it is written (links to the files next to it are relative)."""
    c = plan["counts"]
    seg = plan["segment"]
    chosen = [["list name", seg["list_name"]], ["CRM", plan.get("crm_label", seg["crm_target"])],
              ["markets", ", ".join(seg["markets"]) or "all"], ["personas", ", ".join(seg["personas"]) or "all"],
              ["countries", ", ".join(seg["countries"]) or "all"], ["minimum score", seg["min_score"]],
              ["tier", seg["tier"]], ["dry run", "yes" if seg["dry_run"] else "no"],
              ["include already pushed", "yes" if seg["include_already_pushed"] else "no"]]
    plan_rows = [("creates", c["create"]), ("updates", c["update"]), ("skips (unchanged)", c["skip"]),
                 ("suppressions", c["suppressed"]), ("already pushed, left out", c["already_pushed_left_out"]),
                 ("no email", c["no_email"])]
    parts = [
        "<h2>Choices</h2>", _table(["field", "value"], chosen, numeric_from=9),
        "<h2>Plan</h2>",
        (f'<p id="plan-summary">In segment: {c["in_segment"]:,} of {c["people_in_warehouse"]:,} people. '
         f'Plan: {c["create"]:,} creates, {c["update"]:,} updates, {c["skip"]:,} skips, '
         f'{c["suppressed"]:,} suppressions.</p>'),
        bar_chart(list(plan_rows), "#1565c0", "plan"),
        _table(["action", "people"], [list(r) for r in plan_rows]),
        "<h2>Top suppression reasons</h2>",
        _reason_table(list(plan.get("suppression_reasons", {}).items())[:TOP_REASONS], OUTCOME_COLOURS["suppressed"],
                      "suppression reasons"),
        ('<p>Who is on the list and who is left out: <a id="preview-link" href="list_preview.html">list preview</a>'
         ' (<a href="list_preview.csv">CSV</a>, <a href="list_preview.xlsx">Excel</a>)</p>'),
        "<h2>Approval</h2>", f'<p id="approval">{_e(approval)}</p>',
        "<h2>CRM results</h2>",
    ]
    if crm and crm.get("not_synced"):  # first: what someone has to act on
        parts += ['<h3 id="not-synced" class="bad">List not synced</h3>',
                  "".join(f"<p>{_e(why)}</p>" for why in crm["not_synced"].values())]
    if crm:
        parts.append(f'<p id="crm-result">{crm["written"]:,} written to {_e(crm["target"])}, {crm["failed"]:,} failed, '
                     f'{crm["unchanged"]:,} unchanged. Members: {_link(crm.get("members_csv"), "list_members.csv", folder)}</p>')
        if crm.get("crm_import_csv"):
            parts.append(f'<p>CRM import file: {_link(crm["crm_import_csv"], "crm_import.csv", folder)}</p>')
        if crm.get("errors"):
            parts.append("<ul>" + "".join(f"<li>{_e(e)}</li>" for e in crm["errors"]) + "</ul>")
    else:
        parts.append('<p id="crm-result">nothing was written to a CRM</p>')
    return _page(f"prospect list rebuild: {seg['list_name']}", "".join(parts))


def write_rebuild_report(folder: Path, plan: dict, crm: dict | None, approval: str) -> Path:
    out = folder / "report.html"
    if crm and (folder / "crm_import.csv").exists():  # the local sink's file
        crm = {**crm, "crm_import_csv": str(folder / "crm_import.csv")}
    # CRM errors may hold URLs
    out.write_text(mask_text(render_rebuild_report(plan, crm, approval, str(folder))), encoding="utf-8")
    log.info("rebuild report: %s", out)
    return out


# ---------------------------------------------------------------- daily call lists


def render_call_list_report(result: dict) -> str:
    """Quota use per owner, who was left out and why, and the CRM lists (leadpipe.pipeline.call_lists)."""
    window = result["calling_window"]
    owners = [[o["owner"], o["quota"], o["on_list"], f"{o['on_list'] / o['quota']:.0%}" if o["quota"] else "-",
               o["in_window"], o["available"], o["quota_from"]] for o in result["owners"]]
    body = [f"<p>List date <b>{_e(result['list_date'])}</b> (built {_e(result['built_at'])}): {_e(result['status'])}. "
            f"{result['people']:,} people on the lists. Calling window {_e(window['start'])}-{_e(window['end'])} "
            f"local time, {_e(', '.join(window['days']))}; cool-down {result['cooldown_days']} days.</p>",
            "<h2>Quota use per owner</h2>",
            _table(["owner", "quota", "on the list", "quota used", "inside calling window now",
                    "callable prospects", "quota from"], owners),
            '<p><a href="call_list.csv">Call lists (CSV)</a> &middot; <a href="call_list.xlsx">(Excel)</a></p>']
    if result["left_out"]:
        body += ["<h2>Left out (never called)</h2>",
                 _table(["reason", "people"], [[k, v] for k, v in result["left_out"].items()])]
    crm = result.get("crm")
    if crm:
        body.append(f"<h2>CRM</h2><p>{_e(crm['target'])}: {_e(crm['status'])}</p>")
        if crm.get("not_synced"):  # first: what someone has to act on
            body += [f'<h3 id="not-synced" class="bad">Lists not synced ({len(crm["not_synced"])})</h3>',
                     _table(["owner", "what happened and what to do"],
                            [[o, m] for o, m in crm["not_synced"].items()], numeric_from=2)]
        if crm.get("lists"):
            body.append(_table(["owner", "members", "added", "removed", "not in the CRM yet"],
                               [[o, v["members"], v["added"], v["removed"], v["not_in_crm"]]
                                for o, v in crm["lists"].items()]))
    return _page(f"Call lists {result['list_date']}", "".join(body))


def write_call_list_report(folder: Path, result: dict) -> Path:
    out = folder / "report.html"
    out.write_text(mask_text(render_call_list_report(result)), encoding="utf-8")
    return out
