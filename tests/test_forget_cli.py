"""`leadpipe forget` on the command line: refuses empty, blank, unparsable and ambiguous input with exit 2 and
changes nothing; `--dry-run` lists exactly what the real run then erases."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpipe.cli import main
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import migrate
from tests.homes import write_config
from tests.test_forget_property import _generate, _load, _snapshot


@pytest.fixture
def loaded(home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch):
    """A config over a generated warehouse (switchboards shared by colleagues) with run files."""
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    config = write_config(home / "leadpipe.yaml")
    cfg = load_config(config)
    migrate(warehouse_url)
    persons, switchboards = _generate(7)
    _load(warehouse_url, persons, cfg.runs_dir)
    return config, cfg, persons, switchboards


def _forget(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "forget", *args])


@pytest.mark.parametrize("arg", ["", "   ", "x", "an.ott@", "12", "not-a-uuid-or-phone"])
def test_unusable_input_exits_2_and_changes_nothing(loaded, arg: str) -> None:
    config, cfg, _, _ = loaded
    before = _snapshot(cfg.warehouse_url, cfg.runs_dir)
    result = _forget(config, arg)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Error:" in result.output
    assert _snapshot(cfg.warehouse_url, cfg.runs_dir) == before


def test_dry_run_changes_nothing_and_lists_what_forget_then_erases(loaded) -> None:
    config, cfg, persons, _ = loaded
    target = max(persons, key=lambda p: len(p.emails))  # merged from several rows
    before = _snapshot(cfg.warehouse_url, cfg.runs_dir)
    dry = _forget(config, target.emails[-1], "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert _snapshot(cfg.warehouse_url, cfg.runs_dir) == before
    assert "dry run: nothing was changed" in dry.output and target.pid in dry.output

    real = _forget(config, target.emails[-1])
    assert real.exit_code == 0, real.output
    # the same tables and counts, the same run files, the same CRM record: the dry run said what happens
    rows_line = next(line for line in dry.output.splitlines() if line.startswith("rows per table:"))
    assert rows_line in real.output
    assert f"membership {len(target.emails)}" in rows_line and "people 1" in rows_line
    assert f"local: crm-{target.pid[-6:]}" in dry.output and f"local: crm-{target.pid[-6:]}" in real.output
    files = [line for line in dry.output.splitlines() if line.startswith("  ") and "rows)" in line]
    assert files and all(line in real.output for line in files)
    after = _snapshot(cfg.warehouse_url, cfg.runs_dir)
    assert (target.pid,) not in after["people"] and len(after["people"]) == len(before["people"]) - 1


def test_a_phone_of_several_people_requires_person_id(loaded) -> None:
    config, cfg, persons, switchboards = loaded
    holders = {}
    for p in persons:
        for ph in set(p.phones):
            holders.setdefault(ph, []).append(p)
    phone, sharing = next((ph, ps) for ph, ps in holders.items() if len(ps) > 1 and ph in switchboards.values())
    before = _snapshot(cfg.warehouse_url, cfg.runs_dir)
    written = f"+1 ({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    result = _forget(config, written)
    assert result.exit_code == 2, result.output
    assert all(p.pid in result.output for p in sharing) and "--person-id" in result.output
    assert _snapshot(cfg.warehouse_url, cfg.runs_dir) == before

    chosen = random.Random(1).choice(sharing)
    done = _forget(config, written, "--person-id", chosen.pid)
    assert done.exit_code == 0, done.output
    after = _snapshot(cfg.warehouse_url, cfg.runs_dir)
    assert (chosen.pid,) not in after["people"]
    assert all((p.pid,) in after["people"] for p in sharing if p is not chosen)

    wrong = _forget(config, written, "--person-id", persons[0].pid if persons[0] not in sharing else "nope")
    assert wrong.exit_code == 2


def test_forget_clears_a_company_email_that_is_the_persons_own(loaded) -> None:
    """Web enrichment may name a person's address as the company email (a small firm with no info@): erasing
    the person takes it out of the company's `emails` and clears `company_email`, and leaves other companies'."""
    from datetime import UTC, datetime

    from enrichment.web.site import SiteResult
    from leadpipe.pipeline.enrich_store import load_companies, save_results
    from leadpipe.store.warehouse import engine_for

    config, cfg, persons, _ = loaded
    target = next(p for p in persons if len(p.emails) == 1)
    email = target.emails[0]
    domain = email.rpartition("@")[2]
    now = datetime.now(UTC)
    engine = engine_for(cfg.warehouse_url)
    save_results(engine, [
        SiteResult(domain, "ok", None, {"emails": [email, f"sales@{domain}"], "company_email": email}, [], now),
        SiteResult("other-firm.example", "ok", None, {"emails": ["info@other-firm.example"],
                                                      "company_email": "info@other-firm.example"}, [], now)], "r")
    result = _forget(config, email)
    assert result.exit_code == 0, result.output
    rows = load_companies(engine, [domain, "other-firm.example"])
    assert (rows[domain]["emails"], rows[domain]["company_email"]) == ([f"sales@{domain}"], None)
    assert rows["other-firm.example"]["company_email"] == "info@other-firm.example"
