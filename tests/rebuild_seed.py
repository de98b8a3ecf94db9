"""A small, hand-checkable warehouse for list-rebuild tests: people as a nightly run would have left them.

Each person's market, seniority, score and tier are written down here, so a test's expected counts
follow from this table by reading it, not from running the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

RUN_ID = "nightly_seed"


@dataclass(frozen=True)
class SeedPerson:
    pid: str
    email: str | None
    country: str
    market: str | None
    seniority: str
    score: int
    tier: str | None
    suppressed_reason: str | None = None  # the nightly run's own suppression (e.g. no consent)


PEOPLE = (
    SeedPerson("p-dach-ceo", "anna.ceo@kunde.de", "DE", "dach_mid_market", "c_level", 85, "A"),
    SeedPerson("p-dach-vp", "ben.vp@firma.de", "AT", "dach_mid_market", "vp", 72, "A"),
    SeedPerson("p-dach-mgr", "cara.mgr@firma.de", "DE", "dach_mid_market", "manager", 58, "B"),
    SeedPerson("p-dach-dnc", "dora.owner@blocked.de", "CH", "dach_mid_market", "owner", 90, "A"),  # on DNC list
    SeedPerson("p-dach-form", "emil.cfo@form.de", "DE", "dach_mid_market", "c_level", 75, "A",
               suppressed_reason="web form lead without email consent"),
    SeedPerson("p-dach-low", "finn.dev@firma.de", "DE", "dach_mid_market", "individual", 30, None),
    SeedPerson("p-uk-dir", "gail.dir@corp.co.uk", "GB", "uk_ie", "director", 60, "B"),
    SeedPerson("p-us-ceo", "hank.ceo@corp.com", "US", "north_america", "c_level", 70, "A"),
    SeedPerson("p-us-noemail", None, "US", "north_america", "owner", 80, "A"),
)
DNC_EMAILS = ("dora.owner@blocked.de",)


def seed_warehouse(home: Path, people: tuple[SeedPerson, ...] = PEOPLE) -> str:
    """Migrate the SQLite warehouse in ``home`` and store ``people``; write the do-not-contact file."""
    from leadpipe.store import ledger
    from leadpipe.store.warehouse import engine_for, membership, migrate, outcomes, raw_rows, runs
    from leadpipe.store.warehouse import people as people_table

    dnc = home / "inputs" / "demo" / "do_not_contact.csv"
    dnc.parent.mkdir(parents=True, exist_ok=True)
    dnc.write_text("email\n" + "\n".join(DNC_EMAILS) + "\n", encoding="utf-8")
    url = f"sqlite:///{home / 'warehouse.db'}"
    migrate(url)
    engine = engine_for(url)
    now = ledger.now()
    with engine.begin() as conn:
        conn.execute(insert(runs).values(run_id=RUN_ID, started_at=now, status="success"))
        for i, p in enumerate(people, start=1):
            rec = {"email": p.email, "first_name": p.pid.split("-")[-1], "last_name": "Seed", "company": "Seed Co",
                   "job_title": p.seniority, "phone": None, "country": p.country, "domain": None}
            conn.execute(insert(raw_rows).values(id=i, run_id=RUN_ID, source="vendor_apollo", source_file="seed.csv",
                                                 source_row=i, payload=rec, ingested_at=now))
            conn.execute(insert(people_table).values(
                person_id=p.pid, email=p.email, first_name=rec["first_name"], last_name="Seed", company="Seed Co",
                company_key="seed co", domain=None, record=rec, provenance={}, score=p.score, tier=p.tier,
                segments={"markets": [p.market] if p.market else [], "seniority": p.seniority},
                score_breakdown=[], created_run_id=RUN_ID, updated_run_id=RUN_ID))
            conn.execute(insert(membership).values(raw_row_id=i, person_id=p.pid, run_id=RUN_ID, rule="seed"))
            if p.suppressed_reason:
                conn.execute(insert(outcomes).values(run_id=RUN_ID, raw_row_id=i, outcome="suppressed",
                                                     reason=p.suppressed_reason, person_id=p.pid))
    return url
