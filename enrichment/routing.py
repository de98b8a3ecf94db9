"""Owner assignment: which salesperson gets a prospect, recorded on it for the CRM push.

Precedence, as sales teams expect it: an existing account owner (from the CRM's account list) wins; a
person who already has an owner keeps them; otherwise the territory (country / state) picks a team and
the team's members take turns (round-robin, continued across runs so nobody gets every first lead).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field, field_validator, model_validator

from leadpipe.core.settings import Strict


class Territory(Strict):
    name: str
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2; empty = any.")
    regions: list[str] = Field(default_factory=list, description="ISO 3166-2 (US-CA); empty = any.")
    team: str

    @field_validator("countries", "regions")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.upper() for c in v]


class RoutingConfig(Strict):
    territories: list[Territory] = Field(default_factory=list, description="First territory that fits wins.")
    teams: dict[str, list[str]] = Field(default_factory=dict, description="team -> owners (CRM user emails).")
    default_team: str | None = Field(None, description="Team for leads no territory fits; null = unassigned.")
    account_owners_files: list[str] = Field(
        default_factory=list, description="CSV with 'domain' and 'owner' columns: existing accounts' owners."
    )

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingConfig:
        named = {t.team for t in self.territories} | ({self.default_team} if self.default_team else set())
        missing = sorted(named - set(self.teams))
        if missing:
            raise ValueError(f"team(s) {missing} are used by territories but not listed under routing.teams")
        empty = sorted(t for t, owners in self.teams.items() if not owners)
        if empty:
            raise ValueError(f"team(s) {empty} have no owners")
        return self


class AccountOwnersError(ValueError):
    """An account owners export that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Assignment:
    owner: str | None
    team: str | None
    reason: str


def add_account_owners(owners: dict[str, str], name: str, columns: list[str],
                       rows: Iterable[dict[str, str]]) -> None:
    """Add domain -> owner from one CRM account export (rows as read from a CSV with `columns`).

    A domain already in `owners` keeps its owner: the first file naming a domain wins.
    """
    cols = {c.strip().lower(): c for c in columns}
    if not {"domain", "owner"} <= cols.keys():
        raise AccountOwnersError(f"{name}: needs 'domain' and 'owner' columns")
    for row in rows:
        domain = (row[cols["domain"]] or "").strip().lower()
        owner = (row[cols["owner"]] or "").strip()
        if domain and owner:
            owners.setdefault(domain, owner)


def territory_for(country: str | None, region: str | None, cfg: RoutingConfig) -> Territory | None:
    for t in cfg.territories:
        if t.countries and (country or "").upper() not in t.countries:
            continue
        if t.regions and (region or "").upper() not in t.regions:
            continue
        return t
    return None


def assign_owners(prospects: list[dict], cfg: RoutingConfig, account_owners: dict[str, str],
                  current: dict[str, str], assigned_so_far: dict[str, int]) -> dict[str, Assignment]:
    """person_id -> Assignment. `current`: person_id -> owner from earlier runs; `assigned_so_far`: team ->
    how many people it already owns, so the rotation continues where the last run stopped."""
    out: dict[str, Assignment] = {}
    queue: dict[str, list[str]] = {}
    for p in sorted(prospects, key=lambda r: r["person_id"]):
        pid = p["person_id"]
        domain = (p.get("domain") or "").lower()
        if domain and domain in account_owners:
            out[pid] = Assignment(account_owners[domain], None, f"existing account owner of {domain}")
        elif current.get(pid):
            out[pid] = Assignment(current[pid], None, "kept the owner from an earlier run")
        else:
            territory = territory_for(p.get("country"), p.get("state"), cfg)
            team = territory.team if territory else cfg.default_team
            if team is None:
                out[pid] = Assignment(None, None, "no territory fits and no default team")
            else:
                queue.setdefault(team, []).append(pid)
                where = f"territory {territory.name}" if territory else "default team"
                out[pid] = Assignment(None, team, f"{where}, team {team} round-robin")
    for team, pids in queue.items():
        owners = cfg.teams[team]
        start = assigned_so_far.get(team, 0)
        for i, pid in enumerate(pids):
            a = out[pid]
            out[pid] = Assignment(owners[(start + i) % len(owners)], team, a.reason)
    return out
