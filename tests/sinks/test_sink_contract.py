"""Every built-in sink passes the sink contract kit: local (SQLite, PostgreSQL), HubSpot and Salesforce
through their emulators; and the kit fails a sink that breaks the contract."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.sinks.base import PlannedPush, PushResult, Sink, SinkContext
from connectors.sinks.hubspot.settings import HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink
from connectors.sinks.kit import ContractViolation, SinkCase, check_sink
from connectors.sinks.local import LocalSink
from connectors.sinks.registry import build_sink
from connectors.sinks.settings import SinkSettings
from leadpipe.core.schema import CHANNEL_FIELDS
from leadpipe.store.bulk_write import write_many
from leadpipe.store.warehouse import engine_for, migrate, prospects
from tests.emulators.httpbase import Fault
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.tls import make_test_ca

TOKEN = "pat-na1-kit"


def test_the_local_sink_keeps_the_contract(warehouse_url: str, tmp_path: Path) -> None:
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)

    def read_back() -> list[dict]:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(prospects)).mappings()]

    check_sink(SinkCase(
        make_sink=lambda: LocalSink(engine, prospects, tmp_path / "crm_import.csv", write_many),
        read_back=read_back,
        spoil=lambda rec: {**rec, "score": None},  # NOT NULL in the prospects table
    ))


@pytest.fixture
def hubspot():
    emu = HubSpotEmulator(token=TOKEN).start()
    yield emu
    emu.stop()


def test_the_hubspot_sink_keeps_the_contract(hubspot: HubSpotEmulator) -> None:
    settings = HubSpotSettings(host=hubspot.url, concurrency=1, max_retries=3)

    mapping = SinkSettings().mapping_for("hubspot")

    def read_back() -> list[dict]:  # our field names back from HubSpot's properties (channel fields included)
        return [{ours: c["properties"].get(theirs) for ours, theirs in mapping.items()}
                for c in hubspot.objects["contacts"].values()]

    def spoil(rec: dict) -> dict:
        hubspot.reject[rec["email"].lower()] = ("VALIDATION_ERROR", "Property values were not valid")
        return rec

    def read_list(name: str) -> set[str]:
        [lid] = [lid for lid, lst in hubspot.lists.items() if lst["name"] == name]
        return set(hubspot.members[lid])

    check_sink(SinkCase(
        make_sink=lambda: HubSpotSink(settings, TOKEN, SinkSettings().mapping_for("hubspot"), sleep=lambda s: None),
        read_back=read_back, spoil=spoil, read_list=read_list,
        inject_transient=lambda: hubspot.inject(Fault(r"contacts/batch/upsert", 503, {"status": "error",
                                                                                       "message": "unavailable"})),
    ))
    assert hubspot.calls("contacts/batch/upsert", 503)  # the transient failure really happened


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("tls"))


def test_the_salesforce_sink_keeps_the_contract(certs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    emu = SalesforceEmulator(str(certs[1]), str(certs[2])).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "conn_type": "salesforce", "host": emu.url, "login": "ck-test", "password": "cs-test",
            "extra": {"ca_bundle": str(certs[0])}}))
        settings = SinkSettings.model_validate({"type": "salesforce"})

        mapping = settings.mapping_for("salesforce")

        def read_back() -> list[dict]:  # our field names back from the Lead's fields (channel fields included)
            return [{"person_id": r.get("Prospect_Ext_Id__c"), **{ours: r.get(theirs) for ours, theirs in mapping.items()}}
                    for r in emu.leads.values()]

        def read_list(name: str) -> set[str]:
            [cid] = [cid for cid, c in emu.campaigns.items() if c["Name"] == name]
            return {m["LeadId"] for m in emu.members.values() if m["CampaignId"] == cid}

        check_sink(SinkCase(
            make_sink=lambda: build_sink(settings, SinkContext(tmp_path)),
            read_back=read_back, read_list=read_list,
            spoil=lambda rec: {**rec, "last_name": None},  # LastName is required on a Lead
            inject_transient=lambda: emu.inject(Fault(r"composite/sobjects/Lead", 503, [
                {"errorCode": "SERVER_UNAVAILABLE", "message": "try again"}])),
        ))
        assert emu.violations == [], f"requests outside the documented Salesforce API: {emu.violations[:3]}"
        assert emu.calls("composite/sobjects/Lead", 503) and emu.campaigns  # the failure and the list happened
    finally:
        emu.stop()


class MemorySink(Sink):
    """A tiny in-memory CRM for checking the kit itself; `broken` picks one way to break the contract."""

    name = "memory"

    def __init__(self, store: dict[str, dict], broken: str = "") -> None:
        from connectors.sinks.base import SinkCapabilities

        self.capabilities = SinkCapabilities(upsert_keys=("person_id",),
                                             writable_fields=frozenset({"email", "score", *CHANNEL_FIELDS}),
                                             required_fields=("email",))
        self.store, self.broken = store, broken

    def write(self, plan: list[PlannedPush], run_id: str, on_batch=None) -> list[PushResult]:
        results = []
        for p in plan:
            if p.action not in ("create", "update"):
                continue
            if not p.record.get("last_name"):
                if self.broken != "drops_refusals":
                    results.append(PushResult(p.person_id, p.action, None, "last_name is required", "refused"))
                continue
            key = f"{p.person_id}#{len(self.store)}" if self.broken == "duplicates" else p.person_id
            self.store[key] = dict(p.record)
            if self.broken == "drops_phone_reason":  # a mapping that forgot one channel field
                self.store[key].pop("phone_reason", None)
            if self.broken == "flips_callable":  # a CRM checkbox written from the wrong field
                self.store[key]["phone_callable"] = p.record.get("email_sendable")
            results.append(PushResult(p.person_id, p.action, p.person_id, status="confirmed"))
        if on_batch and results:
            on_batch(results)
        return results


@pytest.mark.parametrize(("broken", "message"), [
    ("duplicates", "copies of"),
    ("drops_refusals", "no result for"),
    ("drops_phone_reason", "read_back gives no 'phone_reason'"),
    ("flips_callable", "holds phone_callable"),
])
def test_the_kit_catches_a_broken_sink(broken: str, message: str) -> None:
    store: dict[str, dict] = {}
    good = SinkCase(make_sink=lambda: MemorySink(store), read_back=lambda: list(store.values()),
                    spoil=lambda rec: {**rec, "last_name": ""})
    check_sink(good)  # the same sink without the fault passes
    store.clear()
    with pytest.raises(ContractViolation, match=message):
        check_sink(SinkCase(make_sink=lambda: MemorySink(store, broken), read_back=lambda: list(store.values()),
                            spoil=lambda rec: {**rec, "last_name": ""}))


def test_the_kit_catches_a_sink_that_does_not_declare_the_channel_fields() -> None:
    store: dict[str, dict] = {}

    class NoChannels(MemorySink):
        def __init__(self, store: dict[str, dict]) -> None:
            super().__init__(store)
            self.capabilities = replace(self.capabilities, writable_fields=frozenset({"email", "score"}))

    with pytest.raises(ContractViolation, match="every sink receives the channel fields; not writable"):
        check_sink(SinkCase(make_sink=lambda: NoChannels(store), read_back=lambda: list(store.values())))


def test_the_kit_catches_a_sink_that_loses_a_transient_failure() -> None:
    store: dict[str, dict] = {}
    fail_next = []

    class Flaky(MemorySink):
        def write(self, plan, run_id, on_batch=None):
            if fail_next:
                fail_next.clear()
                results = [PushResult(p.person_id, p.action, None, "HTTP 503", "refused") for p in plan]
                return results
            return super().write(plan, run_id, on_batch)

    with pytest.raises(ContractViolation, match="transient failure must be retried or reported as deferred"):
        check_sink(SinkCase(make_sink=lambda: Flaky(store), read_back=lambda: list(store.values()),
                            inject_transient=lambda: fail_next.append(1)))


@pytest.mark.parametrize(("broken", "message"), [
    ("ignores_watermark", "changes_since\\(t\\) returned a change made well before t"),
    ("naive_time", "has no time zone"),
    ("unknown_kind", "unknown kind 'unsubscribed'"),
])
def test_the_kit_catches_a_broken_feedback_source(broken: str, message: str) -> None:
    from datetime import UTC, datetime, timedelta

    from connectors.sinks.base import FeedbackRecord

    store: dict[str, dict] = {}

    class Reporting(MemorySink):
        """Reports each stored record as opted out, an hour apart; `broken` picks one way to get it wrong."""

        def changes_since(self, watermark):
            t0 = datetime(2026, 12, 1, tzinfo=UTC)
            for n, pid in enumerate(sorted(store)):
                at = t0 + timedelta(hours=n)
                if watermark is not None and at <= watermark and self.broken != "ignores_watermark":
                    continue
                kind = "unsubscribed" if self.broken == "unknown_kind" else "email_opt_out"
                yield FeedbackRecord("memory", pid, store[pid].get("email"), None, kind, "true",
                                     at.replace(tzinfo=None) if self.broken == "naive_time" else at)

    case = SinkCase(make_sink=lambda: Reporting(store), read_back=lambda: list(store.values()),
                    spoil=lambda rec: {**rec, "last_name": ""})
    check_sink(case)  # the same source without the fault passes
    store.clear()
    with pytest.raises(ContractViolation, match=message):
        check_sink(SinkCase(make_sink=lambda: Reporting(store, broken), read_back=lambda: list(store.values()),
                            spoil=lambda rec: {**rec, "last_name": ""}))


def test_the_registry_builds_each_sink_and_names_the_allowed_types(tmp_path: Path) -> None:
    from importlib.metadata import entry_points

    from connectors.sinks.registry import UnknownSink, load_sink_factory, sink_types

    assert {ep.name for ep in entry_points(group="leadpipe.sinks")} >= {"local", "hubspot", "salesforce"}
    assert sink_types()[0] == "local" and set(sink_types()) >= {"local", "hubspot", "salesforce"}
    with pytest.raises(UnknownSink, match="no sink of type 'pipedrive'; installed sink types: local, hubspot"):
        load_sink_factory("pipedrive")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    sink = build_sink(SinkSettings(), SinkContext(tmp_path, engine_for(url), prospects))
    assert isinstance(sink, LocalSink) and sink.csv_path == tmp_path / "crm_import.csv"
