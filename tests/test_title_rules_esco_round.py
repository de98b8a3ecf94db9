"""The general rules of the ESCO round (issue 18, fourth round) and the ESCO part of the lookup and training data.

Each expected department is the rubric's (docs/title-classification.md) or the O*NET analogue's, never the
classifier's output copied. The rules are tested alone (`_by_rules`) where the lookup or the model might
otherwise answer the same, so that a test fails when its rule is gone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrichment import title_model
from enrichment.personas import _by_rules, classify_title
from enrichment.title_text import normalise_title
from tests.title_eval_files import EVAL
from tests.title_eval_files import groups as _groups
from tests.title_eval_files import rows as _rows


def _rule(title: str) -> str | None:
    return _by_rules(normalise_title(title))[1]


@pytest.mark.parametrize(
    ("title", "department"),
    [
        # "ICT" is IT, spelled the European way
        ("ICT Project Manager", "it"),
        ("ICT Security Manager", "it"),  # the company's own systems, not site security
        ("Chief ICT Security Officer", "it"),
        # an IT developer or architect builds software: engineering, as "Software Developer"
        ("ICT Application Developer", "engineering"),
        ("IT Architect", "engineering"),
        ("IT Support Specialist", "it"),
        # the vocabulary of finance
        ("Budgeting Manager", "finance"),
        ("Budgetary Control Officer", "finance"),
        ("M&A Analyst", "finance"),
        ("Mergers and Acquisitions Associate", "finance"),
        ("Capital Markets Analyst", "finance"),
        ("Stock Market Analyst", "finance"),  # no market research
        ("Investor Relations Manager", "finance"),
        ("Securities Research Analyst", "finance"),
        ("Accounts Clerk", "finance"),  # a financial clerk (43-3031), not office administration
        ("Accounts Receivable Clerk", "finance"),
        ("Invoice Clerk", "finance"),  # billing clerks, 43-3021
        ("Book-keeper", "finance"),
        ("Wages Clerk", "finance"),  # payroll clerks, 43-3051
        ("Debt Recovery Agent", "finance"),
        ("Loans Adviser", "finance"),
        # the vocabulary of HR
        ("Equality and Inclusion Manager", "hr"),
        ("Diversity and Inclusion Lead", "hr"),
        ("Labour Relations Officer", "hr"),  # labour relations specialists, 13-1075
        ("Industrial Relations Manager", "hr"),
        ("Staffing Coordinator", "hr"),
        ("Outplacement Consultant", "hr"),
        ("Head Hunter", "hr"),
        ("HRM Manager", "hr"),
        ("Talent Acquisition Manager", "hr"),  # talent acquisition is no M&A
        # operations: what moves goods, and the people who pack, stack and carry them
        ("Import Export Manager", "operations"),
        ("Maritime Transport Manager", "operations"),
        ("Freight Manager", "operations"),
        ("Hand Packer", "operations"),
        ("Shelf Stacker", "operations"),
        ("Forklift Operator", "operations"),
        ("Courier", "operations"),
        ("Postman", "operations"),
        ("Audio Typist", "operations"),
        ("Buying Agent", "operations"),
        ("Production Supervisor", "operations"),  # 51-1011
        ("Food Safety Specialist", "operations"),  # occupational health and safety specialists, 19-5011
        ("Occupational Health Officer", "operations"),
        ("Inventory Controller", "operations"),  # controls stock, no budget
        ("Quality Controller", "operations"),
        ("Financial Controller", "finance"),
        ("Programme Manager", "operations"),  # British spelling of program manager
        # sales: sellers, dealers, estate and letting agents, rental counters, auctions
        ("Antique Dealer", "sales"),
        ("Toy Specialised Seller", "sales"),
        ("Estate Agent", "sales"),
        ("Letting Agent", "sales"),
        ("Realtors", "sales"),
        ("Rental Agent", "sales"),  # counter and rental clerks, 41-2021
        ("Rental Service Desk Clerk", "sales"),  # a rental desk is no IT service desk
        ("Auctioneer", "sales"),
        ("Business Developer", "sales"),
        ("Checkout Supervisor", "sales"),  # cashiers' supervisor
        ("Promotions Demonstrator", "sales"),  # demonstrators and product promoters, 41-9011
        # support: a call or contact centre serves customers (customer service representatives, 43-4051)
        ("Call Centre Supervisor", "support"),
        ("Contact Center Analyst", "support"),
        # legal: courts and licensing
        ("Courtroom Reporter", "legal"),  # court reporters, 23-2093
        ("Licensing Officer", "legal"),
        # marketing
        ("Media Buyer", "marketing"),  # buys advertising space: advertising, not procurement
        ("Network Marketing Specialist", "marketing"),  # no computer network
        # it
        ("Data Base Administrator", "it"),
        ("DBA", "it"),
        ("Website Administrator", "it"),
        ("Network Administrator", "it"),
        # engineering
        ("Health and Safety Engineer", "engineering"),  # 17-2111: an engineer, whatever is made safe
        ("Programmer", "engineering"),
    ],
)
def test_general_rules_of_the_esco_round(title: str, department: str) -> None:
    assert _rule(title) == department


@pytest.mark.parametrize(
    ("title", "not_department"),
    [
        ("Chair Maker", "executive"),  # makes chairs, chairs no board
        ("Blackjack Dealer", "sales"),  # deals cards
        ("Property Rental Manager", "sales"),  # real estate, not a rental counter
        ("Employee Volunteering Programme Coordinator", "engineering"),  # a programme is no programming
        ("Preschool Program Director", "operations"),  # only a program *manager* is project management
        ("Wage and Hour Investigator", "finance"),  # enforces labour law
        ("Meat Packer", "operations"),  # a slaughterhouse trade
        ("Repair Shop Supervisor", "sales"),  # a workshop, not a shop floor of a store
    ],
)
def test_guards_of_the_new_words(title: str, not_department: str) -> None:
    assert _rule(title) != not_department


@pytest.mark.parametrize(
    ("title", "department"),
    [
        # "X in Y": the role decides, the field it works in does not
        ("Import Export Manager in Textile Industry Machinery", "operations"),
        ("Rental Sales Agent in Construction and Civil Engineering Machinery", "sales"),
        ("Accountant in Civil Engineering", "finance"),
        # the field is read when the role names no department
        ("Specialist in Tax Law", "legal"),
    ],
)
def test_the_head_role_decides_an_x_in_y_title(title: str, department: str) -> None:
    assert _rule(title) == department


def test_the_head_role_of_an_x_in_y_title_keeps_its_seniority() -> None:
    got = classify_title("Senior Buyer in Textile Industry Machinery")
    assert (got.seniority, got.department) == ("senior", "operations")


def test_the_esco_data_holds_both_spent_halves_and_no_title_still_held_out() -> None:
    """esco_titles.csv (lookup and training data): since the fifth round the ESCO labels of both halves (the ESCO
    frozen set was measured before and after the fourth round and is spent), and still no title of a set that is
    held out or a regression set: the ANZSCO frozen set (since the sixth round; the NOC frozen set before it) and
    the O*NET evaluation sets."""
    shipped = _rows(title_model.ESCO_TITLES_FILE)
    frozen_groups, dev_groups = _groups("esco_frozen_isco_groups.txt"), _groups("esco_dev_isco_groups.txt")
    assert len(shipped) >= 25_000 and len(frozen_groups) >= 200
    groups = {r["isco_group"] for r in shipped}
    assert groups <= dev_groups | frozen_groups and groups & frozen_groups and groups & dev_groups
    assert all(r["code"].split(".")[0] == r["isco_group"] for r in shipped)
    texts = {normalise_title(r["title"]) for r in shipped}
    for name in ("anzsco_frozen_titles.csv", "onet_heldout_titles.csv", "onet_fresh_titles.csv",
                 "onet_alternate_titles.csv"):
        assert not texts & {normalise_title(r["title"]) for r in _rows(EVAL / name)}, name


def test_the_esco_data_is_labelled_by_the_documented_isco_mapping() -> None:
    from isco_departments import department_for_isco

    assert all(r["department"] == department_for_isco(r["code"]) for r in _rows(title_model.ESCO_TITLES_FILE))


def test_the_esco_build_refuses_a_frozen_unit_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import build_esco_title_data

    dev = tmp_path / "dev.txt"
    frozen_group = min(_groups("esco_frozen_isco_groups.txt"))
    dev.write_text((EVAL / "esco_dev_isco_groups.txt").read_text() + f"{frozen_group}\tother\n")
    monkeypatch.setattr(build_esco_title_data, "DEV_GROUPS", dev)
    with pytest.raises(SystemExit, match="both halves"):
        build_esco_title_data.build([])


def test_the_esco_build_drops_titles_still_held_out_and_keeps_the_spent_frozen_half() -> None:
    """An ANZSCO frozen title or an O*NET evaluation title listed by ESCO is dropped; the ESCO frozen set is spent
    since the fourth round and its titles are kept."""
    import build_esco_title_data

    anzsco_frozen = _rows(EVAL / "anzsco_frozen_titles.csv")[0]["title"]
    onet = _rows(EVAL / "onet_alternate_titles.csv")[0]["title"]
    esco_frozen = _rows(EVAL / "esco_frozen_titles.csv")[0]
    dev_group = min(_groups("esco_dev_isco_groups.txt"))
    occupations = [{"iscoGroup": dev_group, "code": f"{dev_group}.1", "preferredLabel": "zzq test worker",
                    "altLabels": f"{anzsco_frozen}\n{onet}"},
                   {"iscoGroup": esco_frozen["isco_code"], "code": esco_frozen["esco_code"],
                    "preferredLabel": esco_frozen["title"], "altLabels": ""}]
    titles = [r["title"] for r in build_esco_title_data.build(occupations)]
    assert sorted(titles) == sorted(["zzq test worker", esco_frozen["title"]])


def test_a_lookup_answer_from_esco_names_its_source() -> None:
    row = next(r for r in _rows(title_model.ESCO_TITLES_FILE)
               if title_model.lookup(normalise_title(r["title"])) is not None
               and title_model.lookup(normalise_title(r["title"])).origin == "ESCO"
               and _rule(r["title"]) is None)
    got = classify_title(row["title"])
    if got.department_by == "lookup":
        assert got.evidence.startswith("ESCO ") and row["code"] in got.evidence


@pytest.mark.parametrize(
    ("title", "normal"),
    [
        ("Architekt*in", "architekt"),
        ("Lehrer:innen", "lehrer"),
        ("Berater/in", "berater"),
        ("Manager_in Vertrieb", "manager vertrieb"),
        ("Sales/In-house Counsel", "sales in house counsel"),  # no gender form: "in-house" stays
    ],
)
def test_a_german_gender_form_is_one_word_not_an_english_in(title: str, normal: str) -> None:
    """"Architekt*in" is no "architekt in ..." title: the rules' "X in Y" reading and the model's word "in" (ESCO's
    "import export manager in ...") must not see one."""
    assert normalise_title(title) == normal


def test_a_gendered_german_title_keeps_its_rules() -> None:
    got = classify_title("Leiter*in Vertrieb")
    assert (got.seniority, got.department) == ("director", "sales")
    assert classify_title("Geschäftsführer*in").seniority == "c_level"


@pytest.mark.parametrize("title", ["3D-Artist", "Architekt*in", "Architect", "Make-up Artist", "Künstlerin"])
def test_crafts_the_model_misreads_are_other_without_the_model(title: str) -> None:
    """An artist or a bare architect (of buildings: "Landscape Architect" is `other` too) does a craft; the model
    read "3D" as 3D printing (engineering) and "architekt" as a software architect. (A lookup title, such as
    O*NET's "Architect", answers first.)"""
    from enrichment.personas import trade_words

    assert trade_words(normalise_title(title))
    got = classify_title(title)
    assert got.department == "other" and got.department_by in ("rule", "lookup") and got.confidence is None


@pytest.mark.parametrize(("title", "department"),
                         [("Display Artist", "marketing"), ("Solutions Architect", "engineering")])
def test_a_rule_still_reads_a_craft_word_in_a_business_title(title: str, department: str) -> None:
    assert classify_title(title).department == department


@pytest.mark.parametrize("title", ["Assistant Manager", "Senior Consultant", "Graduate Trainee", "Team Lead",
                                   "Director"])
def test_a_title_of_levels_and_roles_alone_names_no_department(title: str) -> None:
    """No function is named, so no department, whatever occupation ESCO filed the label under ("assistant
    manager" is an ESCO label of two office occupations) and whatever the model would guess."""
    got = classify_title(title)
    assert (got.department, got.department_by, got.confidence) == ("other", "rule", None)


@pytest.mark.parametrize(("title", "department"), [("Managing Director", "executive"), ("Senior Sales Manager", "sales"),
                                                   ("Chief Executive Officer", "executive")])
def test_a_rule_still_decides_before_the_generic_check(title: str, department: str) -> None:
    assert classify_title(title).department == department
