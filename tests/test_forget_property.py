"""`forget` erases exactly one person and touches no one else: a property over generated warehouses.

Each example writes a warehouse straight into the store tables (raw rows, people, membership, outcomes,
prospects, push ledger, an unmerged quarantined row) plus run files, with the cases that broke the substring
erasure: namesakes at the same and at other companies, emails that are substrings of others (an.ott@ in
jan.ott@), company switchboards shared by colleagues, people merged from rows with different emails and phones.
The expectations come from the generator's own ground truth, never from `forget`'s output.

After the erasure the same example buys the person again, through the real CSV file source and `store_unit`:
every email and every personal phone they had, each in its own row and in a spelling hypothesis draws from what
the normaliser accepts (case, whitespace, display name, mailto:, separators, 00/011/+ prefixes, national format
with a country column, extensions). Each of those rows must be stored without data, `suppressed`, with the
erasure reason. In the same file, colleagues and a new hire on the person's shared switchboard, namesakes, and
someone whose address contains the person's (jan.ott@ around an.ott@) must go in with their data.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select, text

from connectors.sources.file_source import FileSource
from enrichment.normalise import normalise_email, normalise_phone
from enrichment.suppress import tombstone_hash
from leadpipe.pipeline.erasure_guard import REASON
from leadpipe.pipeline.forget import SeveralPeople, forget
from leadpipe.pipeline.ingest import load_state, store_unit
from leadpipe.pipeline.settings import SourceConfig
from leadpipe.pipeline.tombstone_key import ENV_VAR
from leadpipe.store.warehouse import (
    engine_for,
    membership,
    metadata,
    migrate,
    outcomes,
    people,
    prospects,
    push_ledger,
    raw_rows,
    suppression_entries,
)

FIRST = ["Jan", "Maria", "Li", "Anna", "Kali", "Ott"]
LAST = ["Ott", "Ottmann", "Garcia", "Li", "Kalinowski"]
COMPANIES = [("Acme", "acme.com", "312"), ("Globex", "globex.com", "415"), ("Initech", "initech.com", "212")]
NOW = datetime(2024, 1, 1, tzinfo=UTC)
PEOPLE_PER_EXAMPLE = 45
EXAMPLES = 60  # 60 x 45 = 2,700 generated people per database; ~8 s on SQLite, ~12 s on PostgreSQL
KEY = "test-key-0123456789abcdef-not-a-real-secret"


@dataclass
class Person:
    pid: str
    first: str
    last: str
    company: tuple[str, str, str]
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # E.164; may include the company switchboard
    row_ids: list[int] = field(default_factory=list)


def _phone(rng: random.Random, area: str, used: set[str]) -> str:
    while True:
        e164 = f"+1{area}{rng.randint(200, 989)}{rng.randint(1000, 9999)}"
        if e164 not in used and normalise_phone(e164, None) == e164:
            used.add(e164)
            return e164


def _written(e164: str, rng: random.Random) -> str:
    """As a vendor writes it: international with spaces, or national with brackets."""
    n = e164[2:]
    return rng.choice([f"+1 {n[:3]} {n[3:6]} {n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}"])


def _generate(seed: int) -> tuple[list[Person], dict[str, str]]:
    rng = random.Random(seed)
    used: set[str] = set()
    switchboards = {c[1]: _phone(rng, c[2], used) for c in COMPANIES}
    emails_taken: set[str] = set()
    persons = []
    for i in range(PEOPLE_PER_EXAMPLE):
        first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
        p = Person(f"00000000-0000-4000-8000-{seed % 10**6:06d}{i:06d}", first, last, company)
        for _ in range(rng.choice([1, 1, 2, 3])):  # rows merged into the person, each with its own email
            stem = rng.choice([f"{first}.{last}", f"{first[1:]}.{last}", f"{first[0]}{last}", last, first,
                               f"{first}.{last}{rng.randint(1, 9)}"]).lower()
            domain = rng.choice([company[1], "gmail.com"])
            email = f"{stem}@{domain}"
            if email in emails_taken:
                email = f"{stem}.{i}@{domain}"
            emails_taken.add(email)
            p.emails.append(email)
            p.phones.append(rng.choice([switchboards[company[1]], _phone(rng, company[2], used)]))
        persons.append(p)
    return persons, switchboards


def _load(url: str, persons: list[Person], runs: Path) -> None:
    engine = engine_for(url)
    rid = 0
    with engine.begin() as conn:
        for p in persons:
            raws = []
            for email, phone in zip(p.emails, p.phones, strict=True):
                rid += 1
                p.row_ids.append(rid)
                raws.append({"id": rid, "run_id": "run-1", "source": "vendor", "source_file": "list.csv",
                             "source_row": rid, "ingested_at": NOW,
                             "payload": {"First Name": p.first, "Last Name": p.last, "Email": f" {email.upper()} ",
                                         "Corporate Phone": _written(phone, random.Random(rid)),
                                         "Company": p.company[0], "Country": "United States"}})
            conn.execute(insert(raw_rows), raws)
            conn.execute(insert(people).values(
                person_id=p.pid, email=p.emails[0], first_name=p.first, last_name=p.last, company=p.company[0],
                company_key=p.company[0].lower(), domain=p.company[1], created_run_id="run-1", updated_run_id="run-1",
                record={"email": p.emails[0], "phone": p.phones[0], "first_name": p.first, "last_name": p.last},
                provenance={"email": p.row_ids[0]}))
            conn.execute(insert(membership), [{"raw_row_id": r, "person_id": p.pid, "run_id": "run-1",
                                               "rule": "seed" if k == 0 else "email"}
                                              for k, r in enumerate(p.row_ids)])
            conn.execute(insert(outcomes), [{"run_id": "run-1", "raw_row_id": r, "person_id": p.pid,
                                             "outcome": "pushed" if k == 0 else "merged", "reason": "x"}
                                            for k, r in enumerate(p.row_ids)])
            conn.execute(insert(prospects).values(
                person_id=p.pid, email=p.emails[0], first_name=p.first, last_name=p.last, phone=p.phones[0],
                score=50, run_id="run-1", updated_at=NOW))
            conn.execute(insert(push_ledger).values(sink="local", person_id=p.pid, crm_id=f"crm-{p.pid[-6:]}",
                                                    content_hash="h", run_id="run-1", pushed_at=NOW))
        # One unmerged (quarantined) row of the first person, carrying their second email only.
        rid += 1
        persons[0].row_ids.append(rid)
        conn.execute(insert(raw_rows).values(id=rid, run_id="run-1", source="vendor", source_file="list.csv",
                                             source_row=rid, ingested_at=NOW,
                                             payload={"Email": persons[0].emails[-1], "Last Name": persons[0].last}))
        conn.execute(insert(outcomes).values(run_id="run-1", raw_row_id=rid, outcome="quarantined", reason="x"))
        if conn.dialect.name == "postgresql":  # ids were given: move the sequence on, as real ingests would have
            conn.execute(text("SELECT setval(pg_get_serial_sequence('raw_rows', 'id'), :n)"), {"n": rid})
    folder = runs / "run-1"
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([{"person_id": p.pid, "email": p.emails[0], "phone": p.phones[0], "last_name": p.last}
                          for p in persons])
    frame.to_parquet(folder / "prospects.parquet", index=False)
    frame.drop(columns=["person_id"]).to_csv(folder / "crm_import.csv", index=False)


def _snapshot(url: str, runs: Path) -> dict[str, dict]:
    """Every table as primary key -> row, every run file as its rows."""
    out: dict[str, dict] = {}
    with engine_for(url).connect() as conn:
        for table in metadata.sorted_tables:
            pk = [c.name for c in table.primary_key.columns]
            out[table.name] = {tuple(r[c] for c in pk): json.dumps(dict(r), default=str, sort_keys=True)
                               for r in conn.execute(select(table)).mappings()}
    for path in sorted(runs.glob("**/*.*")):
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        out[f"file:{path.name}"] = {tuple(r.values()): json.dumps(r, sort_keys=True)
                                    for r in frame.astype(str).to_dict("records")}
    return out


def _leaves(value: object) -> list[str]:
    """Every scalar inside a JSON row, as text."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _leaves(json.loads(value))
        except ValueError:
            return [value]
    return [str(value)]


def _clean(url: str) -> None:
    with engine_for(url).begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


# ---------------------------------------------------------------- buying the person again


def _cases(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


_SPACE = st.sampled_from(["", " ", "  ", "\t", " \u00a0"])


def _email_spelling(draw: st.DrawFn, email: str) -> str:
    """An address as lists and CRM exports write it; only decorations `normalise_email` undoes."""
    written = _cases(draw, email)
    style = draw(st.sampled_from(["plain", "display", "mailto", "mailto display"]))
    name = draw(st.sampled_from(["Jan Ott", '"Ott, Jan"', "ott", '"Dr. J. Ott"']))
    if "display" in style:
        written = f"{name} <{written}>"
    if "mailto" in style:
        written = draw(st.sampled_from(["mailto:", "MAILTO:", "MailTo: "])) + written
    written = draw(_SPACE) + written + draw(_SPACE)
    assert normalise_email(written).email == email, written  # the generator draws accepted spellings only
    return written


def _phone_spelling(draw: st.DrawFn, e164: str) -> tuple[str, str]:
    """(a US number as written, the row's country): separators, brackets, prefixes, national form, extension."""
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    if draw(st.booleans()):
        area = f"({area})"
        sep = sep or " "
    number = sep.join([area, exchange, line])
    form, country = draw(st.sampled_from([
        ("+1 {n}", ""), ("+1{n}", "United States"), ("+1-{n}", "Germany"), ("001 {n}", ""),
        ("001 {n}", "Deutschland"), ("011 1 {n}", "US"), ("011 1 {n}", "United States"),
        ("{n}", "US"), ("{n}", "United States"), ("{n}", "USA"), ("1 {n}", "US")]))
    ext = draw(st.sampled_from(["", " ext. 12", " x3", " ext 204", " #5"]))
    written = draw(_SPACE) + form.format(n=number) + ext + draw(_SPACE)
    assert normalise_phone(written, country) == e164, (written, country)  # accepted spellings only
    return written, country


_HEADERS = ["Ref", "First Name", "Last Name", "Company", "Country"]


def _rebuy(engine: Engine, folder: Path, email_header: str, phone_header: str,
           rows: list[dict[str, str]]) -> dict[str, tuple[dict, str | None, str | None]]:
    """Buy `rows` as a vendor CSV through the real file source and `store_unit`: Ref -> (payload, outcome, reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rebought.csv"
    header = [*_HEADERS, email_header, phone_header]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([[r.get(h, "") for h in _HEADERS] + [r.get("email", ""), r.get("phone", "")] for r in rows])
    src = SourceConfig(name="rebuy", type="file", path=str(path))
    source = FileSource("rebuy", str(path))
    (unit,) = source.discover(load_state(engine, "rebuy"))
    store_unit(engine, "run-2", src, source, unit)
    with engine.connect() as conn:
        got = conn.execute(select(raw_rows.c.source_row, raw_rows.c.payload, outcomes.c.outcome, outcomes.c.reason)
                           .outerjoin(outcomes, outcomes.c.raw_row_id == raw_rows.c.id)
                           .where(raw_rows.c.run_id == "run-2").order_by(raw_rows.c.source_row)).all()
    assert len(got) == len(rows)
    return {r["Ref"]: (payload, outcome, reason) for (_, payload, outcome, reason), r in zip(got, rows, strict=True)}


@pytest.mark.parametrize("warehouse_url", ["sqlite", "postgresql"], indirect=True)
def test_forget_erases_exactly_one_person(warehouse_url: str, tmp_path: Path, home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, KEY)  # forget and the ingest guard hash with the same key
    migrate(warehouse_url)
    rebought = {"examples": 0, "identifiers": 0, "colleagues": 0}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(seed=st.integers(0, 10**6), pick=st.integers(0, PEOPLE_PER_EXAMPLE - 1), how=st.sampled_from(
        ["email", "other_email", "phone", "person_id"]), drawn=st.data())
    def check(seed: int, pick: int, how: str, drawn: st.DataObject) -> None:
        _clean(warehouse_url)
        rebought["examples"] += 1  # a fresh run folder per example: hypothesis replays the same arguments
        runs = tmp_path / f"runs-{rebought['examples']}"
        persons, switchboards = _generate(seed)
        if how == "other_email":  # the quarantined row belongs to persons[0]: exercise it
            pick = 0
        _load(warehouse_url, persons, runs)
        target = persons[pick]
        others = [p for p in persons if p is not target]
        others_phones = {ph for p in others for ph in p.phones}
        personal_phones = {ph for ph in target.phones if ph not in others_phones}
        shared_phones = set(target.phones) - personal_phones
        before = _snapshot(warehouse_url, runs)

        engine = engine_for(warehouse_url)
        identifier = {"email": target.emails[0], "other_email": target.emails[-1], "phone": target.phones[-1],
                      "person_id": target.pid}[how]
        if how == "phone" and target.phones[-1] in shared_phones:
            with pytest.raises(SeveralPeople):
                forget(engine, f"+1 {identifier[2:5]} {identifier[5:]}", runs_dir=runs)
            assert _snapshot(warehouse_url, runs) == before  # refused: nothing changed
            forget(engine, identifier, person_id=target.pid, runs_dir=runs)
        else:
            forget(engine, identifier if how != "email" else f"  {identifier.upper()}", runs_dir=runs)
        after = _snapshot(warehouse_url, runs)

        # 1. Nothing of anyone else changed, in any table or run file.
        mine_rows = set(target.row_ids)
        for name, rows in before.items():
            for key, row in rows.items():
                data = json.loads(row)
                theirs = (target.pid in key or data.get("person_id") == target.pid
                          or (name in ("raw_rows",) and key[0] in mine_rows)
                          or (name == "membership" and key[0] in mine_rows)
                          or (name.startswith("file:") and data.get("email") == target.emails[0]))
                if not theirs:
                    assert after[name].get(key) == row, (name, key)
        for name in after:
            if name not in ("suppression_entries", "erasures"):
                assert set(after[name]) <= set(before[name]), name  # nothing new besides the tombstones and audit

        # 2. No identifier of theirs is left anywhere (exact values, not substrings: jan.ott@ is someone else).
        gone = {e.lower() for e in target.emails} | {target.pid} | personal_phones
        gone |= {ph.lstrip("+") for ph in personal_phones}
        for name, rows in after.items():
            for row in rows.values():
                values = {v.strip().lower() for v in _leaves(json.loads(row))}
                values |= {"".join(ch for ch in v if ch.isdigit()) for v in values if any(ch.isdigit() for ch in v)}
                assert not values & gone, (name, values & gone)

        # 3. Shared switchboards stay with the colleagues and are not tombstoned; personal identifiers are.
        with engine.connect() as conn:
            hashes = set(conn.execute(select(suppression_entries.c.value_hash)).scalars())
            golden_phones = {r.record.get("phone") for r in conn.execute(select(people.c.record))}
        for ph in shared_phones:
            assert tombstone_hash("phone", ph, KEY.encode()) not in hashes
            if ph in {o.phones[0] for o in others}:
                assert ph in golden_phones
        for ph in personal_phones:
            assert tombstone_hash("phone", ph, KEY.encode()) in hashes
        for email in target.emails:
            assert tombstone_hash("email", email, KEY.encode()) in hashes
        assert switchboards  # the generator did make company lines

        # 4. Bought again under each identifier, however written: refused at the door; everyone else goes in.
        draw = drawn.draw
        rows: list[dict[str, str]] = []
        refused, kept = [], []
        for k, email in enumerate(target.emails):
            rows.append({"Ref": f"email {k}", "First Name": target.first, "Last Name": target.last,
                         "Company": target.company[0], "email": _email_spelling(draw, email)})
            refused.append(rows[-1]["Ref"])
        for k, ph in enumerate(sorted(personal_phones)):
            written, country = _phone_spelling(draw, ph)
            rows.append({"Ref": f"phone {k}", "First Name": target.first, "Last Name": target.last,
                         "Company": target.company[0], "Country": country, "phone": written})
            refused.append(rows[-1]["Ref"])
        colleagues = [o for o in others if o.company == target.company and set(o.phones) & shared_phones]
        for o in colleagues:
            written, country = _phone_spelling(draw, min(set(o.phones) & shared_phones))
            rows.append({"Ref": f"colleague {o.pid}", "First Name": o.first, "Last Name": o.last,
                         "Company": o.company[0], "Country": country, "email": o.emails[-1], "phone": written})
            kept.append(rows[-1]["Ref"])
        for ph in sorted(shared_phones):  # a new hire on the switchboard
            written, country = _phone_spelling(draw, ph)
            rows.append({"Ref": f"new hire {ph}", "First Name": target.first, "Last Name": "Neu",
                         "Company": target.company[0], "Country": country,
                         "email": f"new.hire.{seed}@{target.company[1]}", "phone": written})
            kept.append(rows[-1]["Ref"])
        for o in others:
            if (o.first, o.last) == (target.first, target.last):  # namesakes, at this and other companies
                rows.append({"Ref": f"namesake {o.pid}", "First Name": o.first, "Last Name": o.last,
                             "Company": o.company[0], "email": _email_spelling(draw, o.emails[0])})
                kept.append(rows[-1]["Ref"])
        local, domain = target.emails[0].split("@")
        prefix = next(c for c in "jxkq" if f"{c}{local}@{domain}" not in target.emails)
        rows.append({"Ref": "superstring", "First Name": "Jana", "Last Name": target.last,
                     "Company": target.company[0], "email": f"{prefix}{local}@{domain}"})  # jan.ott@ around an.ott@
        kept.append("superstring")

        header = {"email": draw(st.sampled_from(["Email", "E-Mail", "Work Email", "Mail"])),
                  "phone": draw(st.sampled_from(["Phone", "Mobile", "Direct Phone", "Telefon"]))}
        got = _rebuy(engine, tmp_path / f"in-{rebought['examples']}", header["email"], header["phone"], rows)
        written = {r["Ref"]: r for r in rows}
        for ref in refused:
            payload, outcome, reason = got[ref]
            assert (outcome, reason) == ("suppressed", REASON), (ref, written[ref], got[ref])
            assert set(payload) == {"erased", "reason"}, (ref, payload)  # stored without any of the row's data
        for ref in kept:
            payload, outcome, _ = got[ref]
            assert outcome is None, (ref, written[ref], got[ref])
            assert payload["Ref"] == ref and payload[header["email"]] == written[ref].get("email", "")
            assert payload[header["phone"]] == written[ref].get("phone", "")
        rebought["identifiers"] += len(refused)
        rebought["colleagues"] += len(colleagues)

    check()
    # The examples did exercise the re-buy, switchboard colleagues included (the assertions above were not vacuous).
    assert rebought["identifiers"] >= EXAMPLES and rebought["colleagues"] > 0, rebought
