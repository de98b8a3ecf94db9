"""The pipeline's stages as plain functions: the DAG, the CLI and the tests call exactly these.

Each stage reads its input from the run folder, writes its output there (Parquet) and returns the path,
so tasks hand each other paths, never data. Rows that leave the flow get their outcome in the ledger at
the stage that decided it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select

from connectors.registry import build_source
from connectors.sinks.base import plan_pushes
from connectors.sinks.local import LocalSink
from connectors.sources.base import SourceError
from connectors.sources.presets import column_mapping
from leadpipe import ledger
from leadpipe.config import Config, SourceConfig
from leadpipe.ledger import Outcome, QuarantinedRow
from leadpipe.schema import FIELD_NAMES, MAPPABLE_FIELDS, OUTCOMES
from leadpipe.warehouse import (
    engine_for,
    membership,
    people,
    push_ledger,
    raw_rows,
    source_files,
    validation_results,
)

log = logging.getLogger("leadpipe")
RAW_INSERT_CHUNK = 5_000


class BatchRejected(RuntimeError):
    """A critical data-quality check failed: this source's batch stops here; its rows are quarantined."""


# ---------------------------------------------------------------- run folder


def run_dir(cfg: Config, run_id: str) -> Path:
    return cfg.runs_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


@contextmanager
def timed(cfg: Config, run_id: str, stage: str, part: str = "") -> Iterator[None]:
    """Record wall time per stage (and per source for mapped stages) for summary.json."""
    start = time.perf_counter()
    try:
        yield
    finally:
        name = f"{stage}.{part}" if part else stage
        ledger.write_json(run_dir(cfg, run_id) / "timings" / f"{name}.json",
                          {"stage": stage, "seconds": round(time.perf_counter() - start, 3)})


def _note(cfg: Config, run_id: str, kind: str, source: str, message: str) -> None:
    """Problems that must reach the summary (a rejected batch, an unreadable file)."""
    path = run_dir(cfg, run_id) / kind / f"{source}.json"
    notes = json.loads(path.read_text()) if path.exists() else []
    ledger.write_json(path, {"messages": sorted(set((notes["messages"] if notes else []) + [message]))})


def _read_notes(cfg: Config, run_id: str, kind: str) -> dict[str, list[str]]:
    folder = run_dir(cfg, run_id) / kind
    return {p.stem: json.loads(p.read_text())["messages"] for p in sorted(folder.glob("*.json"))}


# ---------------------------------------------------------------- stages


def start(cfg: Config, run_id: str) -> list[str]:
    """Migrate the warehouse, register the run, and return the source names to map over."""
    from leadpipe.warehouse import migrate

    migrate(cfg.warehouse_url)
    ledger.start_run(engine_for(cfg.warehouse_url), run_id)
    run_dir(cfg, run_id).mkdir(parents=True, exist_ok=True)
    return [s.name for s in cfg.sources]


def ingest_source(cfg: Config, run_id: str, source_name: str) -> str | None:
    """Store every new row of one source (append-only, with lineage) and hand on the readable ones."""
    src = _source_cfg(cfg, source_name)
    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "ingest", source_name):
        with engine.connect() as conn:
            seen = {r[0] for r in conn.execute(select(source_files.c.fingerprint).where(source_files.c.source == src.name))}
        source = build_source(src, cfg)
        frames = []
        for unit in source.discover(seen):
            try:
                frame = _ingest_unit(cfg, run_id, src, source, unit)
            except SourceError as exc:
                log.error("source %s: %s", src.name, exc)
                _note(cfg, run_id, "source_errors", src.name, str(exc))
                continue
            if frame is not None and len(frame):
                frames.append(frame)
        if not frames:
            log.info("source %s: nothing new", src.name)
            return None
        out = run_dir(cfg, run_id) / "ingested" / f"{src.name}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(frames, ignore_index=True).to_parquet(out, index=False)
        return str(out)


def _ingest_unit(cfg: Config, run_id: str, src: SourceConfig, source, unit) -> pd.DataFrame | None:  # noqa: ANN001
    records = list(source.read(unit))
    mapping = column_mapping(src.preset, src.mapping)
    headers = set(records[0].payload) if records else set()
    if records and mapping and not headers & set(mapping.values()):
        raise SourceError(
            f"{unit.name}: none of the expected columns found ({', '.join(sorted(mapping.values()))}); "
            f"the file has {', '.join(sorted(headers))}. Set 'preset' or 'mapping' for source {src.name}."
        )
    missing = sorted(set(mapping.values()) - headers) if records else []
    if missing:
        log.warning("source %s, %s: columns not in the file, left empty: %s", src.name, unit.name, missing)
    engine = engine_for(cfg.warehouse_url)
    stamp = ledger.now()
    ids: list[int] = []
    with engine.begin() as conn:  # rows and the file's fingerprint together: all or nothing
        for i in range(0, len(records), RAW_INSERT_CHUNK):
            chunk = records[i : i + RAW_INSERT_CHUNK]
            result = conn.execute(
                insert(raw_rows).returning(raw_rows.c.id, sort_by_parameter_order=True),
                [{"run_id": run_id, "source": src.name, "source_file": unit.name, "source_row": r.source_row,
                  "payload": r.payload, "ingested_at": stamp} for r in chunk],
            )
            ids.extend(row[0] for row in result)
        conn.execute(insert(source_files).values(
            source=src.name, path=unit.locator, fingerprint=unit.fingerprint, size_bytes=unit.size_bytes,
            rows=len(records), run_id=run_id, ingested_at=stamp,
        ))
    bad = [QuarantinedRow(rid, src.name, unit.name, r.source_row, "ingest.parse", r.error)
           for rid, r in zip(ids, records, strict=True) if r.error]
    ledger.record_quarantine(engine, run_id, bad)
    good = [(rid, r) for rid, r in zip(ids, records, strict=True) if not r.error]
    log.info("source %s, %s: %d rows stored, %d unreadable rows quarantined",
             src.name, unit.name, len(records), len(bad))
    frame = pd.DataFrame(
        {field: [r.payload.get(header, "") for _, r in good] for field, header in mapping.items()},
        dtype="string",
    )
    frame["raw_row_id"] = pd.array([rid for rid, _ in good], dtype="int64")
    frame["source"] = src.name
    frame["source_file"] = unit.name
    frame["source_row"] = pd.array([r.source_row for _, r in good], dtype="int64")
    frame["source_kind"] = src.kind
    return frame


def normalise_batch(cfg: Config, run_id: str, path: str | None, source_name: str) -> str | None:
    from enrichment.normalise import normalise_frame

    if path is None:
        return None
    with timed(cfg, run_id, "normalise", source_name):
        df = normalise_frame(pd.read_parquet(path))
        out = run_dir(cfg, run_id) / "normalised" / f"{source_name}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(out, index=False)
        log.info("source %s: %d rows normalised", source_name, len(df))
        return str(out)


def validate_batch(cfg: Config, run_id: str, path: str | None, source_name: str) -> str | None:
    """Run the GX suite: quarantine failing rows; stop the whole batch on a critical failure."""
    from expectations.gx_runner import run_suite
    from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite

    if path is None:
        return None
    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "validate", source_name):
        df = pd.read_parquet(path)
        suite = build_normalised_leads_suite(
            NormalisedLeadsThresholds(min_valid_email_share=cfg.validation.min_valid_email_share)
        )
        result = run_suite(df, suite, docs_dir=run_dir(cfg, run_id) / "data_docs" / source_name)
        with engine.begin() as conn:
            conn.execute(insert(validation_results).values(
                run_id=run_id, suite=f"{result.suite_name}:{source_name}", success=result.success,
                statistics=result.statistics, created_at=ledger.now(),
            ))
        if result.docs_path:
            log.info("source %s: Data Docs at %s", source_name, result.docs_path)
            _note(cfg, run_id, "data_docs", source_name, result.docs_path)
        lineage = df.set_index("raw_row_id")[["source", "source_file", "source_row"]]
        if result.critical_failures:
            why = "; ".join(result.critical_failures)
            ledger.record_quarantine(engine, run_id, [
                QuarantinedRow(int(rid), r.source, r.source_file, int(r.source_row), "batch stopped", why)
                for rid, r in lineage.iterrows()
            ])
            _note(cfg, run_id, "rejected_batches", source_name, why)
            raise BatchRejected(f"source {source_name}: batch of {len(df)} rows stopped before any CRM write: {why}")
        failed = {int(k): v for k, v in result.row_failures.items()}
        ledger.record_quarantine(engine, run_id, [
            QuarantinedRow(rid, lineage.at[rid, "source"], lineage.at[rid, "source_file"],
                           int(lineage.at[rid, "source_row"]), checks[0], ", ".join(checks),
                           field=_field_of(checks[0]))
            for rid, checks in failed.items()
        ])
        valid = df[~df["raw_row_id"].isin(failed.keys())]
        out = run_dir(cfg, run_id) / "validated" / f"{source_name}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        valid.to_parquet(out, index=False)
        log.info("source %s: %d rows valid, %d quarantined", source_name, len(valid), len(failed))
        return str(out)


def _field_of(check: str) -> str | None:
    """The lead field a check is about ("...(phone)" -> "phone"); None for helper columns like has_name."""
    m = re.search(r"\((\w+)\)", check)
    return m.group(1) if m and m.group(1) in FIELD_NAMES + ("email_status",) else None


def dedupe(cfg: Config, run_id: str) -> str | None:
    """Resolve this run's valid rows to people (new or existing) and keep golden records current."""
    from enrichment.dedupe import resolve

    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "dedupe"):
        parts = sorted((run_dir(cfg, run_id) / "validated").glob("*.parquet"))
        batch = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
        if batch.empty:
            return None
        batch = batch.sort_values("raw_row_id", kind="stable").reset_index(drop=True)
        with engine.connect() as conn:
            existing = pd.DataFrame(
                conn.execute(select(people.c.person_id, people.c.email, people.c.first_name, people.c.last_name,
                                    people.c.company_key, people.c.record, people.c.provenance)).mappings().all(),
                columns=["person_id", "email", "first_name", "last_name", "company_key", "record", "provenance"],
            )
        res = resolve(batch, existing, cfg.dedupe.name_company_threshold)
        _store_people(cfg, run_id, res)
        rows = batch.set_index("raw_row_id")
        merged = [
            Outcome(int(m.raw_row_id), "merged",
                    f"same person as {_where(rows, res.primary[m.person_id])} ({m.rule}"
                    + (f", score {m.match_score:.0f})" if m.match_score == m.match_score and m.match_score else ")"),
                    m.person_id)
            for m in res.membership.itertuples()
            if res.primary[m.person_id] != m.raw_row_id
        ]
        ledger.record_outcomes(engine, run_id, merged)
        forms = set(batch.loc[batch["source_kind"] == "form", "raw_row_id"].astype(int))
        by_person = res.membership.groupby("person_id")["raw_row_id"].apply(list)
        resolved = pd.DataFrame([
            {**{f: res.golden[pid].get(f) for f in MAPPABLE_FIELDS}, "person_id": pid,
             "primary_raw_row_id": res.primary[pid], "lead_source": rows.at[res.primary[pid], "source"],
             "from_form": any(r in forms for r in by_person[pid]), "is_new": pid in res.new_people}
            for pid in res.golden
        ])
        out = run_dir(cfg, run_id) / "resolved.parquet"
        _to_parquet(resolved, out)
        log.info("dedupe: %d rows -> %d people (%d new), %d rows merged",
                 len(batch), len(resolved), len(res.new_people), len(merged))
        return str(out)


def _where(rows: pd.DataFrame, raw_row_id: int) -> str:
    r = rows.loc[raw_row_id]
    return f"{r['source']}/{r['source_file']} row {int(r['source_row'])}"


def _store_people(cfg: Config, run_id: str, res) -> None:  # noqa: ANN001
    engine = engine_for(cfg.warehouse_url)
    ids = list(res.golden)
    with engine.begin() as conn:
        created = dict(conn.execute(
            select(people.c.person_id, people.c.created_run_id).where(people.c.person_id.in_(ids))
        ).all()) if ids else {}
        for i in range(0, len(ids), 5000):
            conn.execute(delete(people).where(people.c.person_id.in_(ids[i : i + 5000])))
        conn.execute(insert(people), [
            {"person_id": pid, "email": rec.get("email") or None, "first_name": rec.get("first_name"),
             "last_name": rec.get("last_name"), "company": rec.get("company"), "company_key": rec.get("company_key"),
             "domain": rec.get("domain"), "record": _jsonable(rec), "provenance": res.provenance[pid],
             "created_run_id": created.get(pid, run_id), "updated_run_id": run_id}
            for pid, rec in res.golden.items()
        ])
        row_ids = res.membership["raw_row_id"].astype(int).tolist()
        for i in range(0, len(row_ids), 5000):
            conn.execute(delete(membership).where(membership.c.raw_row_id.in_(row_ids[i : i + 5000])))
        conn.execute(insert(membership), [
            {"raw_row_id": int(m.raw_row_id), "person_id": m.person_id, "run_id": run_id, "rule": m.rule,
             "match_score": None if m.match_score != m.match_score else m.match_score}
            for m in res.membership.itertuples()
        ])


def qualify(cfg: Config, run_id: str, path: str | None) -> str | None:
    """Segment and score every person, then apply suppression and the qualification threshold."""
    from enrichment.normalise import normalise_email
    from enrichment.score import score_lead
    from enrichment.segment import markets_for, seniority
    from enrichment.suppress import load_lists, suppression_reason

    if path is None:
        return None
    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "qualify"):
        df = pd.read_parquet(path)
        lists = load_lists([cfg.resolve(p) for p in cfg.suppression.do_not_contact_files])
        outcomes: list[Outcome] = []
        keep = []
        updates = []
        for rec in df.to_dict("records"):
            rec = {k: (None if _missing(v) else v) for k, v in rec.items()}
            email = normalise_email(rec.get("email"))
            level = seniority(rec.get("job_title"))
            employees = int(rec["employees"]) if rec.get("employees") is not None else None
            markets = markets_for(rec.get("country"), rec.get("industry"), employees, cfg.markets)
            score = score_lead(markets=markets, seniority=level, has_work_email=bool(rec.get("email"))
                               and not email.free, has_phone=bool(rec.get("phone")), from_form=bool(rec["from_form"]),
                               cfg=cfg.scoring)
            rec.update(market=markets[0] if markets else None, seniority=level or None, score=score.total,
                       tier=score.tier or None)
            updates.append({"person_id": rec["person_id"], "segments": {"markets": markets, "seniority": level},
                            "score": score.total, "tier": score.tier or None, "score_breakdown": score.breakdown})
            flags = {"email_role": email.role, "email_disposable": email.disposable, "from_form": rec["from_form"]}
            why = suppression_reason(rec, flags, lists, role=cfg.suppression.suppress_role_addresses,
                                     disposable=cfg.suppression.suppress_disposable_addresses,
                                     require_form_consent=cfg.suppression.require_consent_for_forms)
            if why:
                outcomes.append(Outcome(rec["primary_raw_row_id"], "suppressed", why, rec["person_id"]))
            elif not score.qualified:
                parts = ", ".join(f"{p['rule']} +{p['points']}" for p in score.breakdown) or "no points"
                outcomes.append(Outcome(rec["primary_raw_row_id"], "disqualified",
                                        f"score {score.total} below {cfg.scoring.qualify_at} ({parts})", rec["person_id"]))
            elif not rec.get("email"):
                outcomes.append(Outcome(rec["primary_raw_row_id"], "disqualified", "no usable email address",
                                        rec["person_id"]))
            else:
                keep.append(rec)
        _store_scores(engine, updates)
        ledger.record_outcomes(engine, run_id, outcomes)
        out = run_dir(cfg, run_id) / "prospects.parquet"
        _to_parquet(pd.DataFrame(keep, columns=list(df.columns) + ["market", "seniority", "score", "tier"]), out)
        log.info("qualify: %d people, %d prospects, %d suppressed, %d disqualified", len(df), len(keep),
                 sum(o.outcome == "suppressed" for o in outcomes), sum(o.outcome == "disqualified" for o in outcomes))
        return str(out)


def _store_scores(engine, updates: list[dict]) -> None:  # noqa: ANN001
    from sqlalchemy import bindparam, update

    if not updates:
        return
    stmt = (update(people).where(people.c.person_id == bindparam("pid"))
            .values(segments=bindparam("segments"), score=bindparam("score"), tier=bindparam("tier"),
                    score_breakdown=bindparam("score_breakdown")))
    with engine.begin() as conn:
        conn.execute(stmt, [{**u, "pid": u.pop("person_id")} for u in updates])


PROSPECT_FIELDS = ("person_id", "email", "first_name", "last_name", "company", "job_title", "phone", "country",
                   "domain", "market", "seniority", "score", "tier", "lead_source")


def push(cfg: Config, run_id: str, path: str | None) -> dict[str, int]:
    """Send new and changed prospects to the sink; record in the ledger only what the sink confirmed."""
    engine = engine_for(cfg.warehouse_url)
    counts = {"create": 0, "update": 0, "skip": 0, "failed": 0}
    if path is None:
        return counts
    with timed(cfg, run_id, "push"):
        df = pd.read_parquet(path)
        records = [{f: (None if _missing(r.get(f)) else _plain(r.get(f))) for f in PROSPECT_FIELDS}
                   for r in df.to_dict("records")]
        primary = dict(zip(df["person_id"], df["primary_raw_row_id"].astype(int), strict=True))
        sink = LocalSink(engine, run_dir(cfg, run_id) / "crm_import.csv")
        with engine.connect() as conn:
            done = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.content_hash)
                                     .where(push_ledger.c.sink == sink.name)).all())
        plan = plan_pushes(records, done)
        results = sink.write(plan, run_id)
        confirmed = [r for r in results if r.crm_id]
        hashes = {p.person_id: p.content_hash for p in plan}
        with engine.begin() as conn:
            ids = [r.person_id for r in confirmed]
            for i in range(0, len(ids), 5000):
                conn.execute(delete(push_ledger).where(push_ledger.c.sink == sink.name,
                                                       push_ledger.c.person_id.in_(ids[i : i + 5000])))
            if confirmed:
                conn.execute(insert(push_ledger), [
                    {"sink": sink.name, "person_id": r.person_id, "crm_id": r.crm_id,
                     "content_hash": hashes[r.person_id], "run_id": run_id, "pushed_at": ledger.now()}
                    for r in confirmed])
        outcomes = [Outcome(primary[r.person_id], "pushed", f"{r.action}d in {sink.name} CRM as {r.crm_id}",
                            r.person_id) for r in confirmed]
        outcomes += [Outcome(primary[p.person_id], "merged", f"already in {sink.name} CRM, unchanged", p.person_id)
                     for p in plan if p.action == "skip"]
        ledger.record_outcomes(engine, run_id, outcomes)
        for p in plan:
            counts[p.action] += 1
        counts["failed"] = len(results) - len(confirmed)
        log.info("push to %s: %d created, %d updated, %d unchanged", sink.name, counts["create"], counts["update"],
                 counts["skip"])
        return counts


def summarise(cfg: Config, run_id: str) -> dict:
    """Count outcomes, check the ledger adds up, write summary.json; fail loudly if a source had problems."""
    engine = engine_for(cfg.warehouse_url)
    folder = run_dir(cfg, run_id)
    by_source = ledger.outcome_counts(engine, run_id)
    ledger.check_adds_up(by_source)
    totals = {o: sum(c[o] for c in by_source.values()) for o in OUTCOMES}
    raw = sum(c["raw_rows"] for c in by_source.values())
    stage_seconds: dict[str, float] = {}
    for p in sorted((folder / "timings").glob("*.json")):
        t = json.loads(p.read_text())
        stage_seconds[t["stage"]] = round(stage_seconds.get(t["stage"], 0) + t["seconds"], 3)
    n_people = len(pd.read_parquet(folder / "resolved.parquet")) if (folder / "resolved.parquet").exists() else 0
    n_prospects = len(pd.read_parquet(folder / "prospects.parquet")) if (folder / "prospects.parquet").exists() else 0
    summary = {
        "run_id": run_id,
        "raw_rows": raw,
        "outcomes": totals,
        "by_source": by_source,
        "funnel": {
            "rows_in": {s: c["raw_rows"] for s, c in by_source.items()},
            "valid": raw - totals["quarantined"],
            "unique_people": n_people,
            "qualified": n_prospects,
            "pushed": totals["pushed"],
        },
        "stage_seconds": stage_seconds,
        "source_errors": _read_notes(cfg, run_id, "source_errors"),
        "rejected_batches": _read_notes(cfg, run_id, "rejected_batches"),
        "data_docs": {s: m[0] for s, m in _read_notes(cfg, run_id, "data_docs").items()},
        "outputs": {
            "run_folder": str(folder),
            "crm_import_csv": str(folder / "crm_import.csv") if (folder / "crm_import.csv").exists() else None,
            "warehouse": cfg.warehouse_url.split("@")[-1],  # never the password part of a URL
        },
    }
    path = ledger.write_json(folder / "summary.json", summary)
    failed = summary["source_errors"] or summary["rejected_batches"]
    ledger.finish_run(engine, run_id, summary, "failed" if failed else "success")
    summary["summary_path"] = str(path)
    return summary


# ---------------------------------------------------------------- helpers


def _source_cfg(cfg: Config, name: str) -> SourceConfig:
    for s in cfg.sources:
        if s.name == name:
            return s
    raise KeyError(f"no source named {name!r}; configured: {[s.name for s in cfg.sources]}")


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _plain(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def _jsonable(rec: dict) -> dict:
    return {k: (None if _missing(v) else (v.isoformat() if hasattr(v, "isoformat") else _plain(v)))
            for k, v in rec.items()}


def _to_parquet(df: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out, index=False)
