"""`forget` erases exactly one person and touches no one else: a property over generated warehouses.

Each example writes a warehouse straight into the store tables (raw rows, people, membership, outcomes,
prospects, push ledger, an unmerged quarantined row) plus run files, with the cases that broke the substring
erasure: namesakes at the same and at other companies, emails that are substrings of others (an.ott@ in
jan.ott@), company switchboards shared by colleagues, people merged from rows with different emails and phones.
The expectations come from the generator's own ground truth, never from `forget`'s output.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from enrichment.normalise import normalise_phone
from enrichment.suppress import tombstone_hash
from leadpipe.pipeline.forget import SeveralPeople, forget
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
EXAMPLES = 25  # 25 x 45 = 1,125 generated people per database


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


@pytest.mark.parametrize("warehouse_url", ["sqlite", "postgresql"], indirect=True)
def test_forget_erases_exactly_one_person(warehouse_url: str, tmp_path: Path) -> None:
    migrate(warehouse_url)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(seed=st.integers(0, 10**6), pick=st.integers(0, PEOPLE_PER_EXAMPLE - 1), how=st.sampled_from(
        ["email", "other_email", "phone", "person_id"]))
    def check(seed: int, pick: int, how: str) -> None:
        _clean(warehouse_url)
        runs = tmp_path / f"runs-{seed}-{pick}-{how}"
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
            assert tombstone_hash("phone", ph) not in hashes
            if ph in {o.phones[0] for o in others}:
                assert ph in golden_phones
        for ph in personal_phones:
            assert tombstone_hash("phone", ph) in hashes
        for email in target.emails:
            assert tombstone_hash("email", email) in hashes
        assert switchboards  # the generator did make company lines

    check()
