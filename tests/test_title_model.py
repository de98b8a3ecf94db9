"""Titles -> department beyond the rules: the O*NET lookup, the exported model, the frozen evaluation set's
isolation, and the issue-18 bugs (over-broad words, typo repair that rewrote real words, seniority gaps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from enrichment import title_model
from enrichment.personas import _by_rules, _repair_typos, classify_title
from enrichment.title_text import normalise_title
from tests.title_eval_files import EVAL, REPO
from tests.title_eval_files import groups as _codes
from tests.title_eval_files import rows as _rows

SETS = (("heldout_soc_codes.txt", "onet_heldout_titles.csv"), ("fresh_soc_codes.txt", "onet_fresh_titles.csv"),
        ("alternate_soc_codes.txt", "onet_alternate_titles.csv"))


@pytest.mark.parametrize(("codes", "titles"), SETS)
def test_no_held_out_occupation_or_frozen_title_is_in_the_shipped_lookup_data(codes: str, titles: str) -> None:
    """The lookup and the model's training data (onet_titles.csv: the model is trained from it alone) hold no
    code of any evaluation draw and no title of any evaluation set, also not under another code."""
    held_out = _codes(codes)
    frozen = {normalise_title(r["title"]) for r in _rows(EVAL / titles)}
    shipped = _rows(title_model.TITLES_FILE)
    assert len(held_out) >= 50 and len(frozen) >= 1000 and len(shipped) >= 30_000
    assert not {r["soc_code"] for r in shipped} & held_out
    assert not {normalise_title(r["title"]) for r in shipped} & frozen
    assert not set(title_model._lookup_table()) & frozen


def test_the_lookup_holds_o_net_alternate_titles() -> None:
    """Built from Alternate Titles as well as the reported ones: "Rate Reviewer" (a billing clerk, 43-3021) is an
    alternate title only, which no rule reads."""
    sources = {r["source"] for r in _rows(title_model.TITLES_FILE)}
    assert sources == {"alternate", "reported", "occupation"}
    got = classify_title("Rate Reviewer")
    assert (got.department, got.department_by) == ("finance", "lookup") and "43-3021" in got.evidence


def test_the_build_refuses_an_o_net_file_that_is_not_the_one_in_the_manifest(tmp_path: Path) -> None:
    import build_title_data

    manifest = (REPO / "enrichment" / "data" / "onet_sources.tsv").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == 5 and all("532545b40765324b21208050df368ecd10a7e85b" in line for line in manifest[1:])
    for line in manifest[1:]:
        (tmp_path / line.split("\t")[2].split("/")[-1]).write_text("O*NET-SOC Code\tTitle\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="sha256 differs"):
        build_title_data._check_sources(tmp_path)
    (tmp_path / "Alternate Titles.txt").unlink()
    with pytest.raises(SystemExit, match="missing"):
        build_title_data._check_sources(tmp_path)


def test_the_draws_share_no_occupation_and_no_title() -> None:
    from build_title_eval import ALREADY_USED, _words  # the draw's own key (brackets kept)

    for i, (codes_a, titles_a) in enumerate(SETS):
        assert {r["soc_code"] for r in _rows(EVAL / titles_a)} <= _codes(codes_a)
        for codes_b, titles_b in SETS[i + 1:]:
            assert not _codes(codes_a) & _codes(codes_b)
            assert not {_words(r["title"]) for r in _rows(EVAL / titles_a)} & {
                _words(r["title"]) for r in _rows(EVAL / titles_b)}
        # the rule-tuning groups (their reported titles are in tests/data/job_titles_holdout.csv) are never drawn
        assert not any(c.startswith(ALREADY_USED) for c in _codes(codes_a))


@pytest.mark.parametrize("titles", [t for _, t in SETS])
def test_the_frozen_set_is_labelled_by_the_documented_soc_mapping(titles: str) -> None:
    from onet_departments import department_for_soc

    rows = _rows(EVAL / titles)
    assert all(r["department"] == department_for_soc(r["soc_code"]) for r in rows)
    assert all(r["business_function"] == ("no" if r["department"] == "other" else "yes") for r in rows)
    assert department_for_soc("41-2031.00") == "sales" and department_for_soc("11-2021.00") == "marketing"
    assert department_for_soc("13-1161.00") == "marketing" and department_for_soc("13-2011.00") == "finance"
    assert department_for_soc("23-1011.00") == "legal" and department_for_soc("13-1071.00") == "hr"
    assert department_for_soc("11-3121.00") == "hr" and department_for_soc("29-1141.00") == "other"


def test_the_numpy_model_computes_what_scikit_learn_computes(tmp_path: Path) -> None:
    """The shipped arrays are scored without scikit-learn: same n-grams, TF-IDF and softmax, to float32."""
    from train_title_model import export, make_model

    rows = _rows(title_model.TITLES_FILE)[::7]
    texts = [normalise_title(r["title"]) for r in rows]
    model = make_model(5.0).fit(texts, [r["department"] for r in rows])
    path = tmp_path / "m.npz"
    export(model, 0.5, path)
    probe = ["senior sales engineer", "locomotive engineer", "x", "chief financial officer", "zzzz qqqq",
             "kundenservice mitarbeiter", "registered nurse"]
    expected = model.predict_proba(probe)
    saved = title_model.MODEL_FILE
    title_model._model.cache_clear()
    title_model._word_features.cache_clear()
    try:
        title_model.MODEL_FILE = path
        for text, want in zip(probe, expected, strict=True):
            got = title_model.probabilities(text)
            np.testing.assert_allclose([got[c] for c in model.classes_], want, atol=1e-4)
        assert title_model.guess("senior sales engineer").threshold == 0.5
    finally:
        title_model.MODEL_FILE = saved
        title_model._model.cache_clear()
        title_model._word_features.cache_clear()


def test_the_development_sets_do_not_fall_back() -> None:
    """The two earlier O*NET draws, development sets since they were looked at while tuning: regression floors
    just under the figures of the third round (seed 18: seniority 99.3%, department 76.2%, business-function
    56.2%, was 74.0% / 54.2% after the second round; seed 1821: 98.5%, 85.4%, 59.4%)."""
    from title_accuracy import accuracy

    result = accuracy(EVAL / "onet_heldout_titles.csv")
    assert result["seniority_accuracy"] >= 0.99
    assert result["department_accuracy"] >= 0.755
    assert result["by_business_function"]["yes"]["department_accuracy"] >= 0.555
    result = accuracy(EVAL / "onet_fresh_titles.csv")
    assert result["seniority_accuracy"] >= 0.98
    assert result["department_accuracy"] >= 0.85
    assert result["by_business_function"]["yes"]["department_accuracy"] >= 0.585


def test_the_model_answers_only_where_no_rule_fits_and_only_above_its_threshold() -> None:
    ruled = classify_title("Sales Manager")
    assert (ruled.department, ruled.department_by, ruled.confidence) == ("sales", "rule", None)
    looked_up = classify_title("Train Engineer")  # an O*NET title: rail transport, not engineering
    assert (looked_up.department, looked_up.department_by) == ("other", "lookup")
    assert "53-4011" in looked_up.evidence
    for title in ("Zxqv Blorp", "Circuit Board Solderer"):
        got = classify_title(title)
        assert got.department_by in ("model", "unknown")
        assert got.confidence is not None
        threshold = title_model.guess(normalise_title(title)).threshold
        if got.department_by == "model":
            assert got.confidence >= threshold
        else:
            assert got.confidence < threshold and got.department == "other" and "below" in got.evidence


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("Sound Engineer", "other"),  # a studio trade: "engineer" alone is no engineering department
        ("Circuit Board Assembler", "other"),  # "board" is no board of directors
        ("Revenue Agent", "finance"),  # a tax revenue agent sells nothing
        ("Chief Revenue Officer", "sales"),
        ("Professor of Marketing", "other"),  # teaches marketing, works in no marketing department
        ("Emergency Room Nurse", "other"),
        ("Personalization Manager", "marketing"),  # "personal" is no Personal (HR); personalisation is marketing's
        ("Personal Trainer", "other"),
        ("Leiter Personal", "hr"),
        ("Commercial Pilot", "other"),
        ("Commercial Director", "sales"),
        ("Water Quality Specialist", "other"),
        ("Quality Manager", "operations"),
        ("Power Plant Operator", "other"),
        ("Plant Manager", "operations"),
        ("Security Guard", "other"),
        ("Salesperson", "sales"),
        ("Personnel Clerk", "hr"),
        ("Bill Collector", "finance"),
        ("Budget Analyst", "finance"),
        ("Mechanical Drafter", "engineering"),
        ("Receiving Clerk", "operations"),
        ("Stockroom Clerk", "operations"),
        ("Court Clerk", "legal"),
        ("Judge", "legal"),
        ("Landscape Architect", "other"),
        ("Solutions Architect", "engineering"),
        ("Data Entry Clerk", "operations"),  # clerical: "data" is no data engineering here
        ("Law Clerk", "legal"),  # "clerk" alone is office work, a law clerk works for a court
        ("Electrical Designer", "engineering"),  # a designer of an engineering discipline drafts
        ("PCB Designer", "engineering"),
        ("Product Designer", "product"),
        ("Continuous Miner Operator (CMO)", "other"),  # the bracket abbreviates the title: no marketing chief
    ],
)
def test_over_broad_words_and_vocabulary_gaps(title: str, department: str) -> None:
    assert classify_title(title).department == department


@pytest.mark.parametrize("title", ["Stationary Engineer", "Stationary Steam Engineer", "Building Engineer",
                                   "Tugboat Engineer", "Floral Designer",
                                   "Professor of Software Engineering", "Pediatric Nurse Manager"])
def test_trade_and_profession_titles_are_left_to_the_lookup_and_model(title: str) -> None:
    """The rules no longer read the business word in a trade's title; the O*NET lookup or model decides, except
    for engineer trades and teaching, which are `other` by rule when the lookup does not know the title."""
    assert _by_rules(normalise_title(title))[1] is None
    got = classify_title(title)
    assert got.department_by in ("lookup", "model", "unknown", "rule")
    assert got.department == "other"


@pytest.mark.parametrize("title", ["Sound Engineer", "Professor of Marketing", "Lecturer in Accounting",
                                   "Stationary Steam Engineer", "Teacher of Sales"])
def test_engineer_trades_and_teaching_never_reach_the_model(title: str) -> None:
    """A class-balanced model reads "marketing" in "Professor of Marketing" as the marketing department."""
    got = classify_title(title)
    assert (got.department, got.confidence) == ("other", None)
    assert got.department_by in ("rule", "lookup")


def test_a_business_role_in_a_medical_company_still_reaches_the_model() -> None:
    assert classify_title("Medical Sales Representative").department == "sales"


def test_law_enforcement_is_no_legal_department() -> None:
    assert classify_title("Law Enforcement Officer").department != "legal"


@pytest.mark.parametrize(
    ("title", "normal"),
    [
        ("Continuous Miner Operator (CMO)", "continuous miner operator"),
        ("Quality Assurance Inspector (QA Inspector)", "quality assurance inspector"),
        ("Director (IT)", "director it"),  # the bracket adds the function: kept
        ("Sales Manager (EMEA)", "sales manager emea"),
        ("(CEO)", "chief executive officer"),
    ],
)
def test_a_bracketed_acronym_of_the_title_itself_is_dropped(title: str, normal: str) -> None:
    assert normalise_title(title) == normal


@pytest.mark.parametrize(
    ("title", "seniority"),
    [
        ("Board Member", "c_level"),
        ("Trustee", "c_level"),
        ("Chief Engineer", "director"),  # a chief without "officer" heads a unit, not the company
        ("Fire Chief", "director"),
        ("Department Head", "director"),
        ("Head Cook", "manager"),
        ("V.P. Marketing", "vp"),
        ("GM", "manager"),
        ("Owner / General Manager", "owner"),  # several roles: the highest named
        ("Partner & Head of Legal", "owner"),
        ("VP and General Counsel", "c_level"),
        ("Founder + Managing Director", "owner"),
        ("Research and Development Director", "director"),  # one role with "and" in its name
        ("Junior Sales and Marketing Associate", "entry"),  # an entry word settles it
        ("Assistant to the CEO and Founder", "entry"),  # a guard phrase reads the title whole
        ("Chief Nursing Executive", "c_level"),  # "chief ... executive", like "chief ... officer"
        ("Global Head, Marketing", "director"),  # "head" before a function, not at the start
        ("EMEA Head Sales", "director"),
    ],
)
def test_seniority_gaps(title: str, seniority: str) -> None:
    assert classify_title(title).seniority == seniority


@pytest.mark.parametrize("word", ["layer", "controlled", "lawyers", "trainer", "collector", "budget"])
def test_typo_repair_never_rewrites_a_dictionary_word(word: str) -> None:
    assert _repair_typos(f"{word} specialist") == f"{word} specialist"


def test_typo_repair_still_fixes_real_typos() -> None:
    assert _repair_typos("markting mangaer") == "marketing manager"
    assert classify_title("Layer Hand").department != "legal"  # was "lawyer"


def test_explain_says_why_a_title_got_its_department() -> None:
    from leadpipe.pipeline.explain import format_explanation, title_reason

    def shown(title: str) -> str:
        person = {"person_id": "p1", "record": {"job_title": title, "first_name": "Ann", "email": "a@x.de"},
                  "provenance": {}, "segments": {}, "score": 10, "tier": None, "score_breakdown": []}
        return format_explanation({"email": "a@x.de", "person": person, "rows": [], "title": title_reason(title)})

    assert "department sales by rule: sales manager; seniority manager" in shown("Sales Manager")
    assert "department other by title lookup: O*NET 53-4011.00 'Train Engineer'" in shown("Train Engineer")
    assert "department marketing by rule after typo repair" in shown("Markting Mangaer")
    modelled = title_reason("Circuit Board Solderer")
    assert modelled["department_by"] in ("model", "unknown") and 0 < modelled["confidence"] <= 1
    assert f"(confidence {modelled['confidence']:.2f})" in shown("Circuit Board Solderer")
    from leadpipe.pipeline.explain import _title_lines

    unsure = {"job_title": "Zxqv", "seniority": "individual", "department": "other", "department_by": "unknown",
              "confidence": 0.31, "evidence": "best guess sales below the threshold 0.45"}
    assert _title_lines(unsure) == [("  title 'Zxqv': department other unknown (confidence 0.31): best guess sales "
                                    "below the threshold 0.45; seniority individual")]
    assert title_reason(None) is None and title_reason("  ") is None


def test_leadpipe_explain_prints_the_title_reason_from_a_real_warehouse(home: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from sqlalchemy import insert

    from leadpipe.cli import main
    from leadpipe.store.warehouse import engine_for, migrate, people

    url = f"sqlite:///{home / 'warehouse.db'}"
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", url)
    migrate(url)
    record = {"email": "ann@acme.de", "first_name": "Ann", "company": "Acme", "job_title": "Train Engineer"}
    with engine_for(url).begin() as conn:
        conn.execute(insert(people).values(person_id="p-ann", email="ann@acme.de", first_name="Ann",
                                           company="Acme", record=record, provenance={"email": 1},
                                           created_run_id="r1", updated_run_id="r1"))
    shown = CliRunner().invoke(main, ["explain", "ann@acme.de"])
    assert shown.exit_code == 0, shown.output
    assert "department other by title lookup: O*NET 53-4011.00 'Train Engineer'" in shown.output
    as_json = CliRunner().invoke(main, ["explain", "ann@acme.de", "--json"])
    assert '"department_by": "lookup"' in as_json.output


def test_a_designer_is_product_only_when_the_title_says_what_of_the_product() -> None:
    """"Designer" alone named no department before it was read as product: road, solar and make-up designers are
    left to the O*NET lookup and model; UX, product and web designers stay product by rule."""
    for title in ("roadway designer", "solar designer", "hair and makeup designer", "publications designer"):
        assert _by_rules(title)[1] is None, title
    for title in ("ux designer", "senior product designer", "web designer", "interaction designer", "designer",
                  "head of design", "ui ux designer"):
        assert _by_rules(normalise_title(title))[1] == "product", title
