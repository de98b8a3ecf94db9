"""The ingest guard compares what the pipeline would store, and tombstones are keyed hashes.

An erased person (Jan Ott: jan.ott@acme.de, jan.ott@müller.de, +49 30 1234567) is re-bought in every spelling the
normalisers resolve to the same stored value: display name, another column name, punycode, a phone extension,
international prefixes, national format with the row's country. Each is stored without its data with the erasure
outcome; a colleague whose address merely resembles his (an.ott@acme.de) goes in. Through the real CSV source
and `store_unit`, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from connectors.sources.base import RawRecord
from connectors.sources.file_source import FileSource
from enrichment.suppress import (
    SuppressionLists,
    TombstoneKeyMissing,
    configure_tombstone_key,
    legacy_tombstone_digest,
    list_reason,
    tombstone_hash,
)
from leadpipe.airflow_app.forms_webhook import store_unless_erased
from leadpipe.pipeline.erasure_guard import REASON, ErasureGuard
from leadpipe.pipeline.forget import forget
from leadpipe.pipeline.ingest import load_state, store_unit, unit_mapping
from leadpipe.pipeline.settings import SourceConfig
from leadpipe.pipeline.tombstone_key import ENV_VAR, KEY_FILE, TombstoneKeyError, configure, tombstone_key
from leadpipe.store.warehouse import (
    engine_for,
    erasures,
    form_inbox,
    migrate,
    outcomes,
    raw_rows,
    suppression_entries,
)

KEY = b"test-key-0123456789abcdef-not-a-real-secret"
EMAIL, IDN_EMAIL, PHONE = "jan.ott@acme.de", "jan.ott@müller.de", "+49301234567"
COLLEAGUE = "an.ott@acme.de"


def _tombstone(engine: Engine, kind: str, value_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(suppression_entries).values(kind=kind, value_hash=value_hash, list_name="erasure",
                                                        reason="erased on request (test)",
                                                        created_at=datetime.now(UTC)))


@pytest.fixture
def engine(warehouse_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A warehouse where Jan Ott was erased: keyed tombstones of his two emails and his phone."""
    monkeypatch.setenv(ENV_VAR, KEY.decode())
    migrate(warehouse_url)
    eng = engine_for(warehouse_url)
    for kind, value in (("email", EMAIL), ("email", IDN_EMAIL), ("phone", PHONE)):
        _tombstone(eng, kind, tombstone_hash(kind, value, KEY))
    return eng


def _ingest(engine: Engine, folder: Path, header: list[str], rows: list[list[str]],
            mapping: dict[str, str] | None = None) -> dict[str, tuple[dict, str | None, str | None]]:
    """Write a vendor CSV, store it with the real file source; first cell of each row -> (payload, outcome, reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "list.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    src = SourceConfig(name="vendor_x", type="file", path=str(path), mapping=mapping or {})
    source = FileSource("vendor_x", str(path))
    (unit,) = source.discover(load_state(engine, "vendor_x"))
    store_unit(engine, "run-1", src, source, unit)
    with engine.connect() as conn:
        got = conn.execute(select(raw_rows.c.source_row, raw_rows.c.payload, outcomes.c.outcome, outcomes.c.reason)
                           .outerjoin(outcomes, outcomes.c.raw_row_id == raw_rows.c.id)
                           .order_by(raw_rows.c.source_row)).all()
    return {row[0]: (payload, outcome, reason) for (_, payload, outcome, reason), row in zip(got, rows, strict=True)}


def _refused(result: tuple[dict, str | None, str | None]) -> bool:
    payload, outcome, reason = result
    return outcome == "suppressed" and reason == REASON and set(payload) == {"erased", "reason"}


def _stored(result: tuple[dict, str | None, str | None]) -> bool:
    payload, outcome, _ = result
    return outcome is None and "erased" not in payload


# ---------------------------------------------------------------- re-bought through a CSV, by spelling


@pytest.mark.parametrize(("header", "row", "colleague"), [
    (["Name", "Email", "Country"], ["display name", "Jan Ott <jan.ott@acme.de>", "DE"], f"Ann Ott <{COLLEAGUE}>"),
    (["Name", "E_Mail", "Country"], ["column E_Mail", "JAN.OTT@ACME.DE", "DE"], COLLEAGUE.upper()),
    (["Name", "Mail", "Country"], ["column Mail", " jan.ott@acme.de ", "DE"], f" {COLLEAGUE} "),
    (["Name", "Contact", "Country"], ["a column nobody maps", "mailto:Jan.Ott@Acme.de", "DE"], f"mailto:{COLLEAGUE}"),
    (["Name", "Email", "Country"], ["punycode domain", "jan.ott@xn--mller-kva.de", "DE"], "an.ott@xn--mller-kva.de"),
    (["Name", "Email", "Country"], ["unicode domain", "Jan.Ott@MÜLLER.de", "DE"], "jan.ott@muller.de"),
    (["Name", "Phone", "Country"], ["extension", "+49 30 1234567 ext. 12", "DE"], "+49 30 1234599 ext. 12"),
    (["Name", "Phone", "Country"], ["011 from the US", "011 49 30 1234567", "United States"], "011 49 30 1234599"),
    (["Name", "Phone", "Country"], ["00 prefix", "0049 (30) 123 45 67", "Germany"], "0049 (30) 123 45 99"),
    (["Name", "Phone", "Country"], ["national with country", "030 1234567", "Deutschland"], "030 1234599"),
    (["Name", "Phone", "Email"], ["national, region from the mail domain", "030 / 123 45 67", "info@ott.de"],
     "030 / 123 45 99"),
    (["Name", "Handy Privat", "Country"], ["unmapped phone column", "(030) 123-4567", "DE"], "(030) 123-4599"),
])
def test_an_erased_person_is_refused_at_ingest_however_written(engine: Engine, tmp_path: Path, header: list[str],
                                                                row: list[str], colleague: str) -> None:
    other = [f"colleague, {row[0]}", colleague, row[2]]
    got = _ingest(engine, tmp_path / "in", header, [row, other])
    assert _refused(got[row[0]]), got[row[0]]
    assert _stored(got[other[0]]) and got[other[0]][0][header[1]] == colleague
    him = json.dumps(got[row[0]][0], ensure_ascii=False).lower()
    assert "ott" not in him and "4567" not in him


def test_a_colleague_with_a_similar_address_is_ingested_with_all_data(engine: Engine, tmp_path: Path) -> None:
    rows = [["Ann Ott", f"Ann Ott <{COLLEAGUE}>", "+49 30 1234599", "DE"],
            ["Jana Ott", "jan.ott@acme.de.example", "", "DE"],
            ["Jan Ottmann", "jan.ottmann@acme.de", "", "DE"],
            ["Jan Ott", "jan.ott@acme.de", "", "DE"]]
    got = _ingest(engine, tmp_path / "in", ["Name", "Email", "Phone", "Country"], rows)
    for name in ("Ann Ott", "Jana Ott", "Jan Ottmann"):
        assert _stored(got[name]) and got[name][0]["Name"] == name
    assert _refused(got["Jan Ott"])


def test_a_legacy_plain_hash_tombstone_still_refuses_the_person(engine: Engine, tmp_path: Path) -> None:
    """Tombstones made before keys existed cannot be re-keyed: they are still checked."""
    _tombstone(engine, "email", legacy_tombstone_digest("email", "old.erasure@acme.de"))
    got = _ingest(engine, tmp_path / "in", ["Name", "Email"],
                  [["old", "Old Erasure <OLD.ERASURE@acme.de>"], ["other", "old.erasures@acme.de"]])
    assert _refused(got["old"]) and _stored(got["other"])


def test_a_tombstone_made_with_another_key_is_not_this_persons(engine: Engine, tmp_path: Path) -> None:
    """The hash is keyed: the same address hashed under another key does not match (nor does it reveal him)."""
    other = b"another-deployment-key-0123456789"
    _tombstone(engine, "email", tombstone_hash("email", "someone@acme.de", other))
    got = _ingest(engine, tmp_path / "in", ["Name", "Email"], [["someone", "someone@acme.de"]])
    assert _stored(got["someone"])


# ---------------------------------------------------------------- web forms


@pytest.mark.parametrize("field", ["email", "E_Mail", "Mail", "your_address"])
def test_a_web_form_with_the_address_under_any_field_name_is_blanked(engine: Engine, field: str) -> None:
    form = {field: "Jan Ott <JAN.OTT@acme.de>", "full_name": "Jan Ott", "message": "hi"}
    blocked = store_unless_erased(engine, "contact", "k-1", json.dumps(form).encode(), form, {"too_fast": False})
    other = {field: COLLEAGUE, "full_name": "Ann Ott"}
    kept = store_unless_erased(engine, "contact", "k-2", json.dumps(other).encode(), other, {"too_fast": False})
    with engine.connect() as conn:
        rows = dict(conn.execute(select(form_inbox.c.id, form_inbox.c.payload)).all())
    assert rows[blocked.inbox_id][field] == "" and rows[blocked.inbox_id]["full_name"] == ""
    assert "erased" in rows[blocked.inbox_id]
    assert rows[kept.inbox_id] == other


def test_a_web_form_with_only_the_phone_and_country_is_blanked(engine: Engine) -> None:
    form = {"phone": "030 1234567", "country": "DE", "full_name": "J. Ott"}
    blocked = store_unless_erased(engine, "contact", "k-1", json.dumps(form).encode(), form, {"too_fast": False})
    with engine.connect() as conn:
        stored = conn.execute(select(form_inbox.c.payload).where(form_inbox.c.id == blocked.inbox_id)).scalar()
    assert stored["phone"] == "" and "erased" in stored


# ---------------------------------------------------------------- every accepted spelling, generated


def _cases(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True)))


_SPACE = st.sampled_from(["", " ", "  ", "\t", " \u00a0"])
_DOMAIN = st.sampled_from(["acme.de", "müller.de", "xn--mller-kva.de", "MÜLLER.DE"])
_NAME = st.sampled_from(["Jan Ott", '"Ott, Jan"', "Dr. Jan Ott", "jan"])


@st.composite
def _email_spellings(draw: st.DrawFn) -> str:
    """The erased person's addresses as vendors and forms write them: decorations normalise_email undoes.

    `normalise_email` does not fold "+tags" (jan.ott+news@ is kept as written), so none are generated. It
    rejects an unquoted display name with a dot ("Dr. Jan Ott <...>"), but the raw row would still carry the
    address, so that one must be refused as well.
    """
    domain = draw(_DOMAIN)
    address = draw(_cases("jan.ott")) + "@" + draw(_cases(domain))
    style = draw(st.sampled_from(["plain", "display", "mailto"]))
    if style == "display":
        address = f"{draw(_NAME)} <{address}>"
    elif style == "mailto":
        address = draw(st.sampled_from(["mailto:", "MAILTO:", "MailTo:"])) + address
    return draw(_SPACE) + address + draw(_SPACE)


@st.composite
def _phone_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(+49 30 1234567 as written, the row's country): prefixes, separators, an extension."""
    sep = draw(st.sampled_from([" ", "-", ".", "/", ""]))
    number = sep.join(["30", "123", "45", "67"])
    form, country = draw(st.sampled_from([
        ("+49 {n}", ""), ("+49 (0){n}", ""), ("0049 {n}", ""), ("0049 {n}", "DE"), ("011 49 {n}", "US"),
        ("011 49 {n}", "United States"), ("0{n}", "DE"), ("(0{n})", "Germany"), ("0{n}", "Deutschland")]))
    ext = draw(st.sampled_from(["", " ext. 12", " x3", " ext 204"]))
    return form.format(n=number) + ext, country


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=_email_spellings(), header=st.sampled_from(["Email", "E-Mail", "E_Mail", "Mail", "Work Address"]))
def test_every_accepted_email_spelling_is_refused(email: str, header: str) -> None:
    guard = ErasureGuard(frozenset({tombstone_hash("email", EMAIL, KEY), tombstone_hash("email", IDN_EMAIL, KEY)}),
                         key=KEY)
    batch = [RawRecord(1, {"Name": "X", header: email}), RawRecord(2, {"Name": "Y", header: COLLEAGUE})]
    src = SourceConfig(name="vendor_x", type="file", path="list.csv")
    stored, flags = guard.scrub(batch, unit_mapping(src, list(batch[0].payload)).fields)
    assert flags == [True, False], email
    assert stored[0].payload.get(header) is None and stored[1].payload[header] == COLLEAGUE


@settings(max_examples=300, deadline=None)
@given(phone=_phone_spellings(), header=st.sampled_from(["Phone", "Mobile", "Telefon", "Direct Line", "Notes"]))
def test_every_accepted_phone_spelling_is_refused(phone: tuple[str, str], header: str) -> None:
    guard = ErasureGuard(phones=frozenset({tombstone_hash("phone", PHONE, KEY)}), key=KEY)
    number, country = phone
    colleague = number.replace("67", "99")
    batch = [RawRecord(1, {header: number, "Country": country}), RawRecord(2, {header: colleague, "Country": country})]
    src = SourceConfig(name="vendor_x", type="file", path="list.csv")
    _, flags = guard.scrub(batch, unit_mapping(src, list(batch[0].payload)).fields)
    assert flags == [True, False], phone


# ---------------------------------------------------------------- keyed hashes


def test_the_tombstone_table_holds_no_plain_hash_of_any_identifier(warehouse_url: str, home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`forget` through the pipeline: whatever it stores, no unkeyed SHA-256 of the address is among it."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    forget(engine, EMAIL)
    with engine.connect() as conn:
        stored = set(conn.execute(select(suppression_entries.c.value_hash)).scalars())
        stored |= set(conn.execute(select(erasures.c.email_hash)).scalars())
    assert stored
    spellings = {EMAIL, EMAIL.upper(), f" {EMAIL} "}
    plain = {legacy_tombstone_digest("email", EMAIL)}
    plain |= {hashlib.sha256(s.encode()).hexdigest() for s in spellings}
    plain |= {hashlib.sha256(f"email:{s}".encode()).hexdigest() for s in spellings}
    assert not stored & plain
    # ... and yet they recognise him, with the key from the dev key file
    assert tombstone_hash("email", EMAIL, tombstone_key(home)) in stored


def test_without_a_key_no_tombstone_is_made() -> None:
    with pytest.raises(TombstoneKeyMissing, match="LEADPIPE_TOMBSTONE_KEY"):
        tombstone_hash("email", EMAIL)
    assert tombstone_hash("email", EMAIL, KEY) != tombstone_hash("email", EMAIL, KEY + b"x")
    assert tombstone_hash("email", " JAN.OTT@acme.de", KEY) == tombstone_hash("email", EMAIL, KEY)


def test_qualify_lists_check_keyed_and_legacy_tombstones() -> None:
    lists = SuppressionLists(tombstones={tombstone_hash("email", EMAIL, KEY), legacy_tombstone_digest("phone", "4930")},
                             tombstone_key=KEY)
    assert list_reason({"email": EMAIL}, lists).startswith("erased on request")
    assert list_reason({"phone": "+49 30"}, lists).startswith("erased on request")
    assert list_reason({"email": COLLEAGUE, "phone": "+49 31"}, lists) is None


def test_the_key_comes_from_the_environment_first(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "  from-the-environment-0123456789  ")
    assert tombstone_key(home) == b"from-the-environment-0123456789"
    assert not (home / KEY_FILE).exists()


def test_the_dev_key_is_made_once_private_and_kept(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    first = tombstone_key(home)
    path = home / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= 32 and tombstone_key(home) == first
    assert tombstone_key() == first  # LEADPIPE_HOME is where every process looks by default


def test_a_short_key_is_refused_with_a_clear_message(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "secret")
    with pytest.raises(TombstoneKeyError, match="shorter than 16 characters"):
        tombstone_key(home)


def test_the_key_never_appears_in_logs_or_reprs(engine: Engine, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _ingest(engine, tmp_path / "in", ["Name", "Email"], [["Jan", EMAIL]])
    with engine.connect() as conn:
        guard = ErasureGuard.load(conn)
    assert guard.key == KEY
    assert KEY.decode() not in caplog.text and KEY.decode() not in repr(guard)


def test_configure_makes_the_two_argument_call_use_the_pipeline_key(home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """How `tombstone_hash(kind, value)` (no key) works in a process that configured the key once."""
    monkeypatch.setenv(ENV_VAR, KEY.decode())
    try:
        assert configure(home) == KEY
        assert tombstone_hash("email", EMAIL) == tombstone_hash("email", EMAIL, KEY)
    finally:
        configure_tombstone_key(None)
    with pytest.raises(TombstoneKeyMissing):
        tombstone_hash("email", EMAIL)
