"""Daily call lists: which callable prospects each owner calls today, up to the owner's quota.

Cold-calling teams work from a list a day. The order inside one owner's list puts the people who are inside
their local calling window right now first (they can be called at once), then the rest by how soon their
window opens, those whose time zone is not known last; within each group the higher score first, then the person id so the
order is stable. Nobody goes on a list who is not callable today (leadpipe.pipeline.call_lists asks
enrichment.channels again with today's date and the CRM flags) or who was on a list within the cool-down.

Pure: candidates, quotas and the clock come in, lists go out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import Field, model_validator

from leadpipe.core.settings import Strict


class CallListConfig(Strict):
    """The `call_lists:` section: quotas per owner or team, the cool-down, and the CRM list names."""

    default_quota: int = Field(40, ge=0, le=1000, description="Calls a day for an owner with no quota of their own "
                                                              "and no team quota.")
    team_quotas: dict[str, int] = Field(default_factory=dict, description="team (as in routing.teams) -> calls a "
                                        "day for each of its owners.")
    owner_quotas: dict[str, int] = Field(default_factory=dict, description="owner -> calls a day; wins over the "
                                         "team's quota.")
    cooldown_days: int = Field(14, ge=0, le=365, description="A person put on a call list is not put on another "
                               "one for this many days.")
    crm_lists: bool = Field(True, description="Also keep a named list per owner in CRMs that have lists "
                            "(HubSpot static list, Salesforce Campaign).")
    list_name: str = Field("Call list {owner}", min_length=3, max_length=120, description="Name of each owner's "
                           "list in the CRM; {owner} is replaced with the owner.")

    @model_validator(mode="after")
    def _quotas_in_range(self) -> CallListConfig:
        for section, quotas in (("team_quotas", self.team_quotas), ("owner_quotas", self.owner_quotas)):
            bad = sorted(k for k, v in quotas.items() if not 0 <= v <= 1000)
            if bad:
                raise ValueError(f"call_lists.{section}: quota of {bad} must be between 0 and 1000 calls a day")
        if "{owner}" not in self.list_name:
            raise ValueError("call_lists.list_name must contain {owner}, so each owner gets their own CRM list")
        return self


def quota_for(owner: str, cfg: CallListConfig, teams: dict[str, list[str]]) -> tuple[int, str]:
    """(calls a day, where that number comes from) for one owner: their own quota, their team's, the default."""
    if owner in cfg.owner_quotas:
        return cfg.owner_quotas[owner], "owner quota"
    for team, owners in teams.items():
        if owner in owners and team in cfg.team_quotas:
            return cfg.team_quotas[team], f"team {team} quota"
    return cfg.default_quota, "default quota"


@dataclass(frozen=True)
class Candidate:
    """A callable prospect for today's lists (callability and cool-down already checked)."""

    person_id: str
    owner: str
    score: int
    in_window: bool | None  # inside the local calling window now; None: time zone not known
    opens_in: int | None = None  # minutes until the local calling window opens (0 inside it); None: not known
    details: dict = field(default_factory=dict, compare=False)  # what the export shows (name, phone, zone, ...)


def order_key(c: Candidate) -> tuple[int, float, int, str]:
    """Inside the calling window first; then whose window opens soonest (a list built before the working day
    gives the first hours to the people whose day starts first), unknown zones last; then higher score, then
    person id (a stable order)."""
    opens = 0.0 if c.in_window else (float(c.opens_in) if c.opens_in is not None else float("inf"))
    return (0 if c.in_window else 1, opens, -c.score, c.person_id)


def plan_call_lists(candidates: Iterable[Candidate], quotas: dict[str, int]) -> dict[str, list[Candidate]]:
    """Each owner's list for today: their candidates in `order_key` order, cut at their quota.

    Owners without a quota in `quotas` get none (0): the caller works out every owner's quota first.
    """
    by_owner: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_owner.setdefault(c.owner, []).append(c)
    return {owner: sorted(cs, key=order_key)[: max(0, quotas.get(owner, 0))]
            for owner, cs in sorted(by_owner.items())}
