"""Contract test kit: the checks every source connector must pass, built-in or third party.

Use it from a pytest test:

    from connectors.testkit import ConnectorCase, check_connector

    def test_my_connector_keeps_the_contract(tmp_path):
        check_connector(ConnectorCase(make_source=..., add_new_data=..., make_bad_input=...))

and, for the class the entry point names, `check_connector_class(MySource, {"folder": str(tmp_path)})`.

It checks record shape (1-based unique row numbers, text-only payloads), lineage (unit names and
fingerprints), that saved state survives a JSON round trip, that a re-run with that state finds nothing
new, that new data is found as new units holding only the new records, that reading is repeatable, and
that bad input surfaces as quarantinable rows with a reason or a SourceError naming the unit, never as
any other exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.sources.base import RawRecord, Source, SourceContext, SourceError, SourceState, SourceUnit


class ContractViolation(AssertionError):
    """The connector breaks the Source contract; the message says which rule and where."""


@dataclass
class ConnectorCase:
    make_source: Callable[[], Source]  # a fresh source over the test's data
    add_new_data: Callable[[], None] | None = None  # add records the source has not delivered yet
    make_bad_input: Callable[[], None] | None = None  # add a malformed unit or rows
    min_records: int = 1  # records the initial data holds at least


def _require(ok: bool, rule: str) -> None:
    if not ok:
        raise ContractViolation(rule)


def commit(state: SourceState, units: list[SourceUnit]) -> SourceState:
    """What the pipeline saves after storing units: fingerprints seen plus the last unit's cursor."""
    cursor = dict(state.cursor)
    for u in units:
        if u.cursor_after is not None:
            cursor = dict(u.cursor_after)
    restored = json.loads(json.dumps({"seen": sorted(state.seen | {u.fingerprint for u in units}),
                                      "cursor": cursor}))
    return SourceState(seen=frozenset(restored["seen"]), cursor=restored["cursor"])


def check_records(unit: SourceUnit, records: list[RawRecord]) -> None:
    numbers = [r.source_row for r in records]
    _require(all(isinstance(r, RawRecord) for r in records), f"{unit.name}: read() must yield RawRecord")
    _require(all(isinstance(n, int) and n >= 1 for n in numbers), f"{unit.name}: source_row must be 1-based int")
    _require(len(set(numbers)) == len(numbers), f"{unit.name}: source_row repeats within the unit")
    for r in records:
        _require(isinstance(r.payload, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in r.payload.items()),
                 f"{unit.name} row {r.source_row}: payload must map text column names to text values")
        _require(r.error is None or (isinstance(r.error, str) and r.error.strip() != ""),
                 f"{unit.name} row {r.source_row}: an error must say why")


def check_unit(unit: SourceUnit) -> None:
    _require(isinstance(unit, SourceUnit), "discover() must return SourceUnit objects")
    _require(bool(unit.name.strip()), "a unit needs a name for lineage")
    _require(0 < len(unit.fingerprint) <= 64, f"{unit.name}: fingerprint must be 1-64 characters")
    if unit.cursor_after is not None:
        json.dumps(unit.cursor_after)  # must be storable as JSON


def read_all(source: Source, units: list[SourceUnit]) -> dict[str, list[RawRecord]]:
    out = {}
    for u in units:
        check_unit(u)
        out[u.fingerprint] = list(source.read(u))
        check_records(u, out[u.fingerprint])
    return out


def check_connector(case: ConnectorCase) -> None:
    """Run every contract check; raise ContractViolation naming the first broken rule."""
    source = case.make_source()
    _require(isinstance(getattr(source, "name", None), str) and source.name != "", "a source needs a name")
    units = source.discover(SourceState())
    _require(len(units) >= 1, "discover() on empty state found nothing in the initial data")
    _require(len({u.fingerprint for u in units}) == len(units), "two units share a fingerprint")
    first = read_all(source, units)
    _require(sum(len(v) for v in first.values()) >= case.min_records, "fewer records than the data holds")
    again = read_all(case.make_source(), units)
    _require({k: [(r.source_row, r.payload) for r in v] for k, v in again.items()}
             == {k: [(r.source_row, r.payload) for r in v] for k, v in first.items()},
             "reading the same unit twice gave different records")

    state = commit(SourceState(), units)
    _require(case.make_source().discover(state) == [], "a re-run with the saved state found units again")

    if case.add_new_data is not None:
        case.add_new_data()
        new_units = case.make_source().discover(state)
        _require(len(new_units) >= 1, "new data was not discovered")
        _require(not {u.fingerprint for u in new_units} & state.seen, "a new unit reuses a stored fingerprint")
        read_all(case.make_source(), new_units)
        state = commit(state, new_units)
        _require(case.make_source().discover(state) == [], "a re-run after new data found units again")

    if case.make_bad_input is not None:
        case.make_bad_input()
        bad_source = case.make_source()
        bad_units = bad_source.discover(state)
        _require(len(bad_units) >= 1, "bad input was not discovered as a unit")
        flagged = 0
        for u in bad_units:
            try:
                records = list(bad_source.read(u))
            except SourceError as exc:
                _require(u.name in str(exc) or bad_source.name in str(exc),
                         f"SourceError must name the unit or source: {exc}")
                flagged += 1
                continue
            except Exception as exc:  # exactly what the contract forbids
                raise ContractViolation(f"{u.name}: bad input raised {type(exc).__name__}: {exc}; "
                                        "raise SourceError or yield records with an error") from exc
            check_records(u, records)
            flagged += sum(r.error is not None for r in records)
        _require(flagged >= 1, "bad input was neither quarantined (error rows) nor refused (SourceError)")


def check_connector_class(connector: Any, settings: dict[str, Any], context: SourceContext | None = None) -> Source:
    """Check what the registry needs of the class an entry point names; return the source it builds.

    `Settings` must be a pydantic model that accepts `settings` and refuses an unknown key (a typo in the
    YAML must be an error), and `from_settings(name, settings, context)` must build a source with that name.
    """
    model = getattr(connector, "Settings", None)
    _require(isinstance(model, type) and issubclass(model, BaseModel),
             "the connector needs a `Settings` attribute: a pydantic model of its YAML keys")
    try:
        validated = model.model_validate(settings)
    except ValidationError as exc:
        raise ContractViolation(f"Settings refused the example settings: {exc}") from None
    try:
        model.model_validate({**settings, "no_such_key_xyz": 1})
    except ValidationError:
        pass
    else:
        raise ContractViolation("Settings accepts unknown keys; build it on leadpipe.core.settings.Strict")
    _require(callable(getattr(connector, "from_settings", None)),
             "the connector needs from_settings(name, settings, context)")
    source = connector.from_settings("contract_check", validated, context or SourceContext())
    _require(getattr(source, "name", None) == "contract_check", "from_settings must give the source its name")
    return source
