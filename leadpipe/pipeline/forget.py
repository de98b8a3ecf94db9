"""`leadpipe forget`: erase one person's personal data (GDPR Art. 17), found by identity, never by text.

The person is named by an email, a phone or a person id, normalised with the pipeline's own functions
(enrichment.normalise), and found by EXACT match: `people.email`, the golden record's phone, the normalised
email/phone values of the raw rows merged into them, or `person_id`. Empty, blank or unparsable input is
refused; several matching people must be chosen between by person id.

What is erased, per table (decided table by table, see docs/qualification-and-compliance.md):
- people, membership, prospects, push_ledger, push_plans, requalifications: the person's rows are deleted
  (the CRM records from the push ledger are reported, and kept in `erasures`, for deletion in each CRM);
- raw_rows: every row merged into them, and every unmerged row (quarantined, suppressed) carrying one of
  their personal identifiers, keeps its id and lineage but its payload becomes an erasure marker;
- outcomes: kept (the run ledger must add up), the person id is cleared;
- form_inbox: submissions carrying a personal identifier are blanked (field names kept);
- companies: their email is taken out of the scraped `emails` lists (and `company_email` when it is theirs);
- suppression_entries: a hashed tombstone per personal email and phone; `erasures`: the audit row.
An identifier another person also carries (a company switchboard, a shared role mailbox) is a company
identifier: it is neither erased from the others nor tombstoned. Run folders (Parquet, CSV) lose the rows whose
person id, raw row id or normalised email/phone is one of theirs; the web-enrichment HTTP cache and extraction
memo lose the pages and entries carrying one of their personal emails or phones (leadpipe.pipeline.forget_caches).

Identifiers are found in raw JSON payloads by normalising the values of candidate rows; the SQL text filter
that picks the candidates (the email's local part, the phone's last two digits) only narrows the search,
every decision is an exact comparison of normalised values.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, Text, cast, delete, func, insert, or_, select, update

from enrichment.normalise import country_code, normalise_email, normalise_phone
from enrichment.suppress import tombstone_hash
from leadpipe.core.spreadsheet import neutralise_frame
from leadpipe.pipeline.forget_caches import CacheErasure, apply_cache_erasure, plan_cache_erasure
from leadpipe.pipeline.tombstone_key import tombstone_key
from leadpipe.store.run_files import read_frame, write_frame
from leadpipe.store.warehouse import (
    companies,
    erasures,
    form_inbox,
    in_chunks,
    membership,
    outcomes,
    people,
    prospects,
    push_ledger,
    push_plans,
    raw_rows,
    requalifications,
    suppression_entries,
)

log = logging.getLogger("leadpipe")
_PHONE_HEADER = re.compile(r"phone|mobile|tel(efon|ephone)?\b|handy|movil|portable|fax", re.IGNORECASE)
_COUNTRY_HEADER = re.compile(r"country|land\b|pays", re.IGNORECASE)
_NAME_HEADER = re.compile(r"name", re.IGNORECASE)
_NOT_A_PERSON_NAME = re.compile(r"company|account|organi[sz]ation|file|source|domain|user", re.IGNORECASE)


class ForgetRefused(ValueError):
    """The request cannot be carried out as given (empty, unparsable, or naming several people)."""


class SeveralPeople(ForgetRefused):
    """The identifier belongs to several people: the caller must say which one by person id."""

    def __init__(self, identifier: Identifier, candidates: list[dict]) -> None:
        self.candidates = candidates
        listed = "\n".join(f"  {c['person_id']}  {c['name'] or '(no name)'}  {c['email'] or '(no email)'}  "
                           f"{c['company'] or ''}".rstrip() for c in candidates)
        super().__init__(f"{len(candidates)} people have the {identifier.kind} {identifier.value}:\n{listed}\n"
                         "Run again with --person-id ID to choose the one to erase.")


@dataclass(frozen=True)
class Identifier:
    kind: str  # "email" | "phone" | "person_id"
    value: str  # normalised: lower-case address, E.164, canonical uuid


def parse_identifier(text: str | None) -> Identifier:
    """An email, an international phone number or a person id, normalised; anything else is refused."""
    raw = (text or "").strip()
    if not raw:
        raise ForgetRefused("nothing to erase: give the person's email, phone number (+country code) or person id")
    try:
        return Identifier("person_id", str(uuid.UUID(raw)))
    except ValueError:
        pass
    if "@" in raw:
        email = normalise_email(raw).email
        if not email:
            raise ForgetRefused(f"{raw!r} is not a valid email address")
        return Identifier("email", email)
    phone = normalise_phone(raw, None)
    if not phone:
        raise ForgetRefused(f"{raw!r} is not an email, a person id or a valid phone number "
                            "(write phone numbers with their country code, e.g. +49 30 1234567)")
    return Identifier("phone", phone)


# ----------------------------------------------------------------------------- identifiers in a raw row


@dataclass
class Seen:
    """Normalised identifiers found in one or more payloads."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def add(self, other: Seen) -> None:
        self.emails |= other.emails
        self.phones |= other.phones
        self.names |= other.names


def payload_identifiers(payload: dict) -> Seen:
    """Every email (any value that normalises to an address), phone (phone-like headers, read with the row's
    country or its email's ccTLD) and name (name-like headers) in one raw payload."""
    seen = Seen()
    if not isinstance(payload, dict):
        return seen
    country = ""
    for key, value in payload.items():
        if isinstance(value, str) and "@" in value and (email := normalise_email(value).email):
            seen.emails.add(email)
        if isinstance(value, str) and _COUNTRY_HEADER.search(str(key)) and not country:
            country = country_code(value)
    tld_region = ""
    for email in seen.emails:
        tld = email.rsplit(".", 1)[-1]
        if len(tld) == 2 and tld.isascii() and tld.isalpha():
            tld_region = country_code(tld)
            break
    for key, value in payload.items():
        if value is None or isinstance(value, bool | dict | list):
            continue
        key = str(key)
        if _PHONE_HEADER.search(key):
            for region in dict.fromkeys([country, tld_region, ""]):
                if phone := normalise_phone(str(value), region or None):
                    seen.phones.add(phone)
                    break
        elif _NAME_HEADER.search(key) and not _NOT_A_PERSON_NAME.search(key) and str(value).strip():
            seen.names.add(str(value).strip())
    return seen


# ----------------------------------------------------------------------------- the plan


@dataclass
class ErasurePlan:
    """Exactly what an erasure changes; `--dry-run` prints it, `apply_erasure` carries it out."""

    identifier: Identifier | None
    people: list[dict] = field(default_factory=list)  # person_id, name, email, company
    emails: list[str] = field(default_factory=list)  # personal: erased and tombstoned
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # as seen in their rows and golden record
    shared: list[str] = field(default_factory=list)  # others carry these too: left alone, not tombstoned
    raw_row_ids: list[int] = field(default_factory=list)
    form_inbox_ids: list[int] = field(default_factory=list)
    company_domains: list[str] = field(default_factory=list)  # whose scraped email lists name them
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted or changed
    crm_records: list[dict] = field(default_factory=list)  # {"sink", "crm_id"}: delete these in the CRM
    run_files: dict[str, int] = field(default_factory=dict)  # path -> rows dropped
    tombstones: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) to add
    web_cache: CacheErasure = field(default_factory=CacheErasure)  # cached pages and memo entries carrying them

    @property
    def person_ids(self) -> list[str]:
        return [p["person_id"] for p in self.people]

    def as_json(self) -> dict:
        out = asdict(self)
        out["identifier"] = asdict(self.identifier) if self.identifier else None
        out["tombstones"] = [list(t) for t in self.tombstones]
        return out


@dataclass
class ErasureReport:
    people_erased: int = 0
    rows_scrubbed: dict[str, int] = field(default_factory=dict)  # table -> rows changed or deleted
    crm_records: list[dict] = field(default_factory=list)  # {"sink", "crm_id"}: delete these in the CRM
    tombstones_added: int = 0
    run_files: dict[str, int] = field(default_factory=dict)  # path -> rows dropped
    web_cache: dict[str, int] = field(default_factory=dict)  # web_cache_pages, web_memo_entries -> deleted


def find_people(conn: Connection, ident: Identifier) -> list[str]:
    """Person ids whose golden record or merged rows carry `ident`, exactly."""
    if ident.kind == "person_id":
        return list(conn.execute(select(people.c.person_id).where(people.c.person_id == ident.value)).scalars())
    if ident.kind == "email":
        found = set(conn.execute(select(people.c.person_id).where(func.lower(people.c.email) == ident.value))
                    .scalars())
        emails, phones = {ident.value}, set()
    else:
        found = set(conn.execute(select(people.c.person_id)
                                 .where(people.c.record["phone"].as_string() == ident.value)).scalars())
        emails, phones = set(), {ident.value}
    for _rid, pid, _seen in _rows_carrying(conn, emails, phones):
        if pid is not None:
            found.add(pid)
    return sorted(found)


def plan_erasure(engine: Engine, identifier: str | Identifier, *, person_id: str | None = None,
                 runs_dir: Path | None = None, web_cache_path: Path | None = None) -> ErasurePlan:
    """Who `identifier` names and everything erasing them would change; reads only.

    Raises ForgetRefused for unusable input, SeveralPeople when it names several people and `person_id` does
    not pick one of them.
    """
    ident = identifier if isinstance(identifier, Identifier) else parse_identifier(identifier)
    chosen = None
    if person_id is not None:
        try:
            chosen = str(uuid.UUID(person_id.strip()))
        except ValueError:
            raise ForgetRefused(f"{person_id!r} is not a person id") from None
    with engine.connect() as conn:
        pids = find_people(conn, ident)
        if chosen is not None:
            if chosen not in pids:
                raise ForgetRefused(f"person id {chosen} does not have the {ident.kind} {ident.value}"
                                    if ident.kind != "person_id" else f"no person with id {chosen}")
            pids = [chosen]
        elif len(pids) > 1:
            raise SeveralPeople(ident, _describe(conn, pids))
        plan = _plan(conn, pids, ident)
    if runs_dir is not None and runs_dir.exists():
        plan.run_files = scrub_run_files(runs_dir, plan, dry_run=True)
    plan.web_cache = plan_cache_erasure(web_cache_path, plan.emails, plan.phones)
    return plan


def plan_for_people(engine: Engine, person_ids: Iterable[str], runs_dir: Path | None = None,
                    web_cache_path: Path | None = None) -> ErasurePlan:
    """The plan for people already known by id (the qualify stage's re-bought erased people)."""
    with engine.connect() as conn:
        pids = sorted(set(conn.execute(select(people.c.person_id)
                                       .where(people.c.person_id.in_(sorted(set(person_ids))))).scalars()))
        plan = _plan(conn, pids, None)
    if runs_dir is not None and runs_dir.exists():
        plan.run_files = scrub_run_files(runs_dir, plan, dry_run=True)
    plan.web_cache = plan_cache_erasure(web_cache_path, plan.emails, plan.phones)
    return plan


def _describe(conn: Connection, pids: list[str]) -> list[dict]:
    rows = conn.execute(select(people.c.person_id, people.c.first_name, people.c.last_name, people.c.email,
                               people.c.company).where(people.c.person_id.in_(pids))
                        .order_by(people.c.person_id)).all()
    return [{"person_id": r.person_id, "name": " ".join(filter(None, [r.first_name, r.last_name])),
             "email": r.email, "company": r.company} for r in rows]


def _plan(conn: Connection, pids: list[str], ident: Identifier | None) -> ErasurePlan:
    plan = ErasurePlan(ident, people=_describe(conn, pids) if pids else [])
    seen = Seen()
    if ident is not None and ident.kind == "email":
        seen.emails.add(ident.value)
    if ident is not None and ident.kind == "phone":
        seen.phones.add(ident.value)
    member_ids: set[int] = set()
    for chunk in in_chunks(pids):
        for r in conn.execute(select(people.c.email, people.c.first_name, people.c.last_name, people.c.record)
                              .where(people.c.person_id.in_(chunk))):
            rec = r.record or {}
            if r.email:
                seen.emails.add(r.email.strip().lower())
            if rec.get("phone"):
                seen.phones.add(str(rec["phone"]))
            seen.names |= {n for n in (r.first_name, r.last_name, rec.get("full_name")) if n}
        for r in conn.execute(select(prospects.c.email, prospects.c.phone).where(prospects.c.person_id.in_(chunk))):
            seen.emails |= {r.email.strip().lower()} if r.email else set()
            seen.phones |= {r.phone} if r.phone else set()
        for rid, payload in conn.execute(select(raw_rows.c.id, raw_rows.c.payload).join(
                membership, membership.c.raw_row_id == raw_rows.c.id).where(membership.c.person_id.in_(chunk))):
            member_ids.add(rid)
            seen.add(payload_identifiers(payload))

    # Whom else each identifier belongs to: other people's golden records, merged rows and company pages.
    mine = set(pids)
    shared: set[str] = set()
    for phone in seen.phones:
        other = conn.execute(select(people.c.person_id).where(people.c.record["phone"].as_string() == phone,
                                                              people.c.person_id.not_in(pids or [""])).limit(1))
        if other.first():
            shared.add(phone)
    for email in seen.emails:
        if conn.execute(select(people.c.person_id).where(func.lower(people.c.email) == email,
                                                         people.c.person_id.not_in(pids or [""])).limit(1)).first():
            shared.add(email)
    carrying = _rows_carrying(conn, seen.emails, seen.phones)
    for _rid, pid, row_seen in carrying:
        if pid is not None and pid not in mine:
            shared |= (row_seen.emails & seen.emails) | (row_seen.phones & seen.phones)
    for phones_json, fax_json in conn.execute(select(companies.c.phones, companies.c.fax)
                                              .where(companies.c.phones.is_not(None) | companies.c.fax.is_not(None))):
        shared |= {p for p in _normalised_phones(phones_json) | _normalised_phones(fax_json) if p in seen.phones}
    emails, phones = seen.emails - shared, seen.phones - shared

    # Unmerged rows (quarantined, suppressed) carrying a personal email, or a personal phone and no one else's email.
    extra = {rid for rid, pid, rs in carrying if pid is None and rid not in member_ids
             and (rs.emails & emails or (rs.phones & phones and not rs.emails - emails))}
    plan.raw_row_ids = sorted(member_ids | extra)
    plan.emails, plan.phones, plan.shared = sorted(emails), sorted(phones), sorted(shared)
    plan.names = sorted(seen.names)
    plan.form_inbox_ids = _forms_carrying(conn, emails, phones)
    plan.company_domains = [d for d, lst, own in conn.execute(
                                select(companies.c.domain, companies.c.emails, companies.c.company_email)
                                .where(companies.c.emails.is_not(None) | companies.c.company_email.is_not(None)))
                            if any(normalise_email(e).email in emails for e in [*_strings(lst), *_strings(own)])]
    plan.tombstones = [("email", e) for e in plan.emails] + [("phone", p) for p in plan.phones]
    plan.crm_records = [{"sink": r.sink, "crm_id": r.crm_id} for chunk in in_chunks(pids) for r in conn.execute(
        select(push_ledger.c.sink, push_ledger.c.crm_id).where(push_ledger.c.person_id.in_(chunk))
        .order_by(push_ledger.c.sink, push_ledger.c.crm_id))]
    plan.rows = {k: v for k, v in _row_counts(conn, pids, plan).items() if v}
    return plan


def _row_counts(conn: Connection, pids: list[str], plan: ErasurePlan) -> dict[str, int]:
    def count(table, where) -> int:
        return sum(conn.execute(select(func.count()).select_from(table).where(where(chunk))).scalar() or 0
                   for chunk in in_chunks(pids)) if pids else 0

    return {
        "people": len(pids),
        "membership": count(membership, lambda c: membership.c.person_id.in_(c)),
        "prospects": count(prospects, lambda c: prospects.c.person_id.in_(c)),
        "push_ledger": count(push_ledger, lambda c: push_ledger.c.person_id.in_(c)),
        "push_plans": count(push_plans, lambda c: push_plans.c.person_id.in_(c)),
        "requalifications": count(requalifications, lambda c: requalifications.c.person_id.in_(c)),
        "outcomes": count(outcomes, lambda c: outcomes.c.person_id.in_(c)),
        "raw_rows": len(plan.raw_row_ids),
        "form_inbox": len(plan.form_inbox_ids),
        "companies": len(plan.company_domains),
    }


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _normalised_phones(value: object) -> set[str]:
    return {p for p in (normalise_phone(v, None) for v in _strings(value)) if p}


def _needles(emails: Iterable[str], phones: Iterable[str]) -> list[str]:
    """Candidate filter only (never the decision): an email's local part, a phone's last two digits."""
    out = set()
    for e in emails:
        local = e.rpartition("@")[0]
        out |= {local, json.dumps(local)[1:-1].lower()}
    out |= {p[-2:] for p in phones}
    return sorted(n for n in out if n)


def _rows_carrying(conn: Connection, emails: set[str], phones: set[str]) -> list[tuple[int, str | None, Seen]]:
    """(raw row id, its person or None, identifiers) of every stored row carrying one of the values exactly."""
    needles = _needles(emails, phones)
    if not needles:
        return []
    text = func.lower(cast(raw_rows.c.payload, Text))
    stmt = (select(raw_rows.c.id, membership.c.person_id, raw_rows.c.payload)
            .outerjoin(membership, membership.c.raw_row_id == raw_rows.c.id)
            .where(or_(*[text.contains(n, autoescape=True) for n in needles])))
    out = []
    for rid, pid, payload in conn.execute(stmt):
        seen = payload_identifiers(payload)
        if seen.emails & emails or seen.phones & phones:
            out.append((rid, pid, seen))
    return out


def _forms_carrying(conn: Connection, emails: list[str], phones: list[str]) -> list[int]:
    needles = _needles(emails, phones)
    if not needles:
        return []
    text = func.lower(cast(form_inbox.c.payload, Text))
    found = []
    for fid, payload in conn.execute(select(form_inbox.c.id, form_inbox.c.payload)
                                     .where(or_(*[text.contains(n, autoescape=True) for n in needles]))):
        seen = payload_identifiers(payload)
        if seen.emails & set(emails) or seen.phones & set(phones):
            found.append(fid)
    return sorted(found)


# ----------------------------------------------------------------------------- carrying it out


def apply_erasure(engine: Engine, plan: ErasurePlan, *, reason: str = "erasure request",
                  runs_dir: Path | None = None, web_cache_path: Path | None = None) -> ErasureReport:
    """Carry out `plan` in one transaction (then the run files and the web caches); returns what changed."""
    now = datetime.now(UTC)
    marker = {"erased": now.date().isoformat(), "reason": reason}
    pids = plan.person_ids
    report = ErasureReport(people_erased=len(pids), crm_records=plan.crm_records)
    counts: dict[str, int] = {}

    def add(table: str, n: int) -> None:
        if n:
            counts[table] = counts.get(table, 0) + n

    with engine.begin() as conn:
        for chunk in in_chunks(pids):
            for table in (membership, prospects, push_ledger, push_plans, requalifications):
                add(table.name, conn.execute(delete(table).where(table.c.person_id.in_(chunk))).rowcount)
            add("outcomes", conn.execute(update(outcomes).where(outcomes.c.person_id.in_(chunk))
                                         .values(person_id=None)).rowcount)
            add("people", conn.execute(delete(people).where(people.c.person_id.in_(chunk))).rowcount)
        for chunk in in_chunks(plan.raw_row_ids):
            add("raw_rows", conn.execute(update(raw_rows).where(raw_rows.c.id.in_(chunk))
                                         .values(payload=marker, row_hash=None)).rowcount)
        for fid in plan.form_inbox_ids:
            payload = conn.execute(select(form_inbox.c.payload).where(form_inbox.c.id == fid)).scalar() or {}
            blank = {**{k: "" for k in payload}, **marker}
            add("form_inbox", conn.execute(update(form_inbox).where(form_inbox.c.id == fid)
                                           .values(payload=blank)).rowcount)
        for domain in plan.company_domains:
            listed, own = conn.execute(select(companies.c.emails, companies.c.company_email)
                                       .where(companies.c.domain == domain)).one()
            kept = [e for e in _strings(listed) if normalise_email(e).email not in set(plan.emails)]
            theirs = own is not None and normalise_email(own).email in set(plan.emails)
            add("companies", conn.execute(update(companies).where(companies.c.domain == domain)
                                          .values(emails=kept, company_email=None if theirs else own)).rowcount)
        secret = tombstone_key()
        for kind, value in plan.tombstones:
            h = tombstone_hash(kind, value, key=secret)
            exists = conn.execute(select(suppression_entries.c.id).where(
                suppression_entries.c.kind == kind, suppression_entries.c.value_hash == h)).first()
            if not exists:
                conn.execute(insert(suppression_entries).values(
                    kind=kind, value_hash=h, list_name="erasure", reason=f"erased on request ({reason})",
                    created_at=now))
                report.tombstones_added += 1
        asked = plan.identifier or (Identifier("email", plan.emails[0]) if plan.emails else None)
        conn.execute(insert(erasures).values(
            email_hash=tombstone_hash(asked.kind, asked.value, key=secret) if asked else "",
            people_erased=len(pids), rows_scrubbed=counts, crm_records=plan.crm_records, erased_at=now))
    report.rows_scrubbed = counts
    if runs_dir is not None and runs_dir.exists():
        report.run_files = scrub_run_files(runs_dir, plan)
    report.web_cache = apply_cache_erasure(web_cache_path, plan.web_cache)
    log.info("forget: %d people erased, rows scrubbed %s, %d run files cleaned, %d CRM records to delete",
             report.people_erased, counts, len(report.run_files), len(report.crm_records))
    return report


def forget(engine: Engine, identifier: str | Identifier, *, person_id: str | None = None,
           reason: str = "erasure request", runs_dir: Path | None = None,
           web_cache_path: Path | None = None) -> ErasureReport:
    """Erase the person `identifier` names (see the module docstring); refuses unusable or ambiguous input."""
    plan = plan_erasure(engine, identifier, person_id=person_id, web_cache_path=web_cache_path)
    return apply_erasure(engine, plan, reason=reason, runs_dir=runs_dir, web_cache_path=web_cache_path)


def forget_people(engine: Engine, person_ids: Iterable[str], *, reason: str,
                  runs_dir: Path | None = None, web_cache_path: Path | None = None) -> ErasureReport:
    """Erase people known by id, with the same exact plan (the qualify stage's re-bought erased people)."""
    plan = plan_for_people(engine, person_ids, web_cache_path=web_cache_path)
    if not plan.people:
        return ErasureReport()
    return apply_erasure(engine, plan, reason=reason, runs_dir=runs_dir, web_cache_path=web_cache_path)


# ----------------------------------------------------------------------------- run folders


def scrub_run_files(runs_dir: Path, plan: ErasurePlan, *, dry_run: bool = False) -> dict[str, int]:
    """Drop the person's rows from run-folder Parquet and CSV files: rows whose person_id or raw_row_id is theirs,
    or with a value that normalises to one of their personal emails or phones. Returns path -> rows dropped."""
    pids, rids = set(plan.person_ids), {str(r) for r in plan.raw_row_ids}
    emails, phones = set(plan.emails), set(plan.phones)
    if not (pids or rids or emails or phones):
        return {}
    changed: dict[str, int] = {}
    for path in sorted(runs_dir.glob("**/*.parquet"), key=str) + sorted(runs_dir.glob("**/*.csv"), key=str):
        if path.suffix == ".parquet":
            df = read_frame(path)
        else:
            with path.open("r", encoding="utf-8") as fh:
                df = pd.read_csv(fh, dtype=str, keep_default_na=False)
        if df.empty:
            continue
        hit = _rows_of(df, pids, rids, emails, phones)
        if hit.any():
            changed[str(path)] = int(hit.sum())
            if dry_run:
                continue
            kept = df[~hit]
            if path.suffix == ".parquet":
                write_frame(kept, path)
            else:
                with path.open("w", encoding="utf-8", newline="") as fh:
                    neutralise_frame(kept).to_csv(fh, index=False)
    return changed


def _rows_of(df: pd.DataFrame, pids: set[str], rids: set[str], emails: set[str], phones: set[str]) -> pd.Series:
    hit = pd.Series(False, index=df.index)
    digits = {p.lstrip("+") for p in phones}
    for col in df.columns:
        values = df[col].astype("string")
        name = str(col)
        if name == "person_id" or name.endswith("_person_id"):
            hit |= values.isin(pids).fillna(False).astype(bool)
        elif name == "raw_row_id":
            hit |= values.str.removesuffix(".0").isin(rids).fillna(False).astype(bool)
        if emails:
            candidates = values[values.str.contains("@", regex=False).fillna(False).astype(bool)].unique().tolist()
            matching = [v for v in candidates if normalise_email(v).email in emails]
            if matching:
                hit |= values.isin(matching).fillna(False).astype(bool)
        if phones and _PHONE_HEADER.search(name):
            matching = [v for v in values.dropna().unique().tolist()
                        if normalise_phone(v, None) in phones or re.sub(r"\D", "", v) in digits]
            if matching:
                hit |= values.isin(matching).fillna(False).astype(bool)
    return hit
