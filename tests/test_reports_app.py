"""Run reports served by the Airflow plugin: Airflow's own login and DAG permissions, no path from the request,
the list preview (escaped, sortable, downloadable) and the Excel copies.

Tokens are made by Airflow's real SimpleAuthManager (the same JWTs its login hands the UI); the browser test
(tests/e2e/test_ui.py) does the same through a running Airflow. Only the "does Airflow know this run" question
is answered here by the test (no Airflow metadata DB); the e2e test answers it from the real one.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.rebuild_seed import seed_warehouse

RUN = "manual__2026-12-05T07:00:00+00:00"
RUN_URL = "manual__2026-12-05T07%3A00%3A00%2B00%3A00"
REBUILD = "rebuild_prospect_list"
NIGHTLY = "leads_nightly"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_COMPANY = '=HYPERLINK("http://evil.example/","click")'


@pytest.fixture
def airflow_auth(airflow_db, monkeypatch: pytest.MonkeyPatch):
    """Airflow's SimpleAuthManager with an admin, a viewer and a user without a role (may read no DAG).

    Its token check reads Airflow's metadata DB (revoked tokens), hence `airflow_db`."""
    from airflow.api_fastapi import app as airflow_app

    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer,outsider:")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "test-secret-" + "x" * 64)
    monkeypatch.setattr(airflow_app._AuthManagerState, "instance", None)
    am = airflow_app.create_auth_manager()
    yield am
    airflow_app._AuthManagerState.instance = None


def _token(am, username: str, role: str | None) -> str:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return am.generate_jwt(SimpleAuthManagerUser(username=username, role=role))


@pytest.fixture
def rebuild_run(home: Path) -> Path:
    """A planned rebuild (DACH Economic Buyers: 2 creates, 2 suppressed) with a hostile name and company."""
    from leadpipe.pipeline.context import run_folder
    from leadpipe.pipeline.list_preview import write_list_preview
    from leadpipe.pipeline.rebuild import Segment, plan_list
    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, people

    url = seed_warehouse(home)
    with engine_for(url).begin() as conn:
        rec = {"email": "anna.ceo@kunde.de", "first_name": HOSTILE_NAME, "last_name": "Seed",
               "company": HOSTILE_COMPANY, "job_title": "c_level", "phone": None, "country": "DE", "domain": None}
        conn.execute(update(people).where(people.c.person_id == "p-dach-ceo").values(record=rec))
    cfg = load_config()
    folder = run_folder(cfg, RUN) / "rebuild"
    plan_list(cfg, folder, Segment(list_name="DACH buyers", markets=["dach_mid_market"],
                                   personas=["Economic Buyer"], min_score=40))
    write_list_preview(folder, {m.name: m.label for m in cfg.markets})
    return folder


@pytest.fixture
def client(home: Path):
    from fastapi.testclient import TestClient

    from leadpipe.airflow_app.reports_app import create_app

    known = {(REBUILD, RUN), (NIGHTLY, RUN)}
    return TestClient(create_app(run_exists=lambda dag, run: (dag, run) in known))


def _get(client, path: str, token: str | None = None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(path, headers=headers, follow_redirects=False)


def test_no_login_is_refused_and_a_browser_goes_to_the_login_page(airflow_auth, client, rebuild_run) -> None:
    for path in ("/", "rebuild/report.html", "rebuild/list_preview.html", "rebuild/list_preview.csv",
                 "rebuild/list_preview.xlsx", "rebuild/plan.json"):
        url = f"/dags/{REBUILD}/runs/{RUN_URL}/{path.lstrip('/')}"
        assert _get(client, url).status_code == 401, path
        browser = _get(client, url, Accept="text/html,application/xhtml+xml")
        assert browser.status_code == 302 and browser.headers["location"].startswith("/auth/login?next="), path
        assert _get(client, url, token="not-a-jwt").status_code in (401, 403), path
        forged = _get(client, url, Cookie="_token=" + _token(airflow_auth, "admin", "admin")[:-4] + "abcd")
        assert forged.status_code in (401, 403), path


def test_the_ui_cookie_works_like_a_bearer_token(airflow_auth, client, rebuild_run) -> None:
    client.cookies.set("_token", _token(airflow_auth, "viewer", "viewer"))
    page = _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/rebuild/list_preview.html")
    assert page.status_code == 200 and "List preview: DACH buyers" in page.text


def test_a_user_who_may_not_read_the_dag_gets_403(airflow_auth, client, rebuild_run) -> None:
    outsider = _token(airflow_auth, "outsider", "")
    for path in ("", "rebuild/report.html", "rebuild/list_preview.html", "rebuild/list_preview.csv"):
        r = _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/{path}", outsider)
        assert r.status_code == 403 and "DACH" not in r.text, path
    assert _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/rebuild/list_preview.html",
                _token(airflow_auth, "viewer", "viewer")).status_code == 200


def test_per_dag_permissions_of_the_auth_manager_decide(monkeypatch, airflow_auth, client, rebuild_run) -> None:
    """An auth manager that lets viewers read the rebuild DAG but not the nightly one is asked about the DAG
    in the address: the same viewer gets the rebuild's files and 403 for the nightly run."""
    from airflow.api_fastapi import app as airflow_app

    from leadpipe.airflow_app.reports_app import may_read_runs

    asked: list[tuple[str, str | None]] = []
    cls = type(airflow_auth)

    class NoNightlyForViewers(cls):
        def is_authorized_dag(self, *, method, user, access_entity=None, details=None):
            asked.append((method, details.id if details else None))
            if user.role == "viewer" and details is not None and details.id == NIGHTLY:
                return False
            return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)

    monkeypatch.setattr(airflow_app._AuthManagerState, "instance", NoNightlyForViewers())
    viewer = _token(airflow_auth, "viewer", "viewer")
    assert _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/rebuild/list_preview.csv", viewer).status_code == 200
    assert _get(client, f"/dags/{NIGHTLY}/runs/{RUN_URL}/", viewer).status_code == 403
    assert ("GET", NIGHTLY) in asked and ("GET", REBUILD) in asked
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    assert may_read_runs(SimpleAuthManagerUser(username="v", role="viewer"), REBUILD) is True
    assert may_read_runs(SimpleAuthManagerUser(username="v", role="viewer"), NIGHTLY) is False
    assert may_read_runs(SimpleAuthManagerUser(username="a", role="admin"), NIGHTLY) is True


def test_paths_come_from_the_run_never_from_the_request(airflow_auth, client, rebuild_run, home) -> None:
    admin = _token(airflow_auth, "admin", "admin")
    run_dir = rebuild_run.parent
    (run_dir / "prospects.parquet").write_bytes(b"PAR1 personal data")
    docs = run_dir / "data_docs" / "vendor" / "site"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<p>docs</p>", encoding="utf-8")
    (docs / "great_expectations.yml").write_text("secret: 1", encoding="utf-8")
    (home / "outside.html").write_text("outside the run", encoding="utf-8")
    (docs / "escape.html").symlink_to(home / "outside.html")
    base = f"/dags/{NIGHTLY}/runs/{RUN_URL}"
    ok = _get(client, f"{base}/data_docs/vendor/site/index.html", admin)
    assert ok.status_code == 200 and ok.text == "<p>docs</p>"
    assert "sandbox" in ok.headers["content-security-policy"]  # GX's HTML never runs with the UI's origin
    for hostile in ("prospects.parquet", "../../warehouse.db", "%2e%2e/%2e%2e/warehouse.db",
                    "data_docs/..%2f..%2f..%2fwarehouse.db", "data_docs/vendor/site/%2e%2e/%2e%2e/%2e%2e/summary.json",
                    "data_docs/vendor/site/great_expectations.yml", "data_docs/vendor/site/escape.html",
                    "%2fetc%2fpasswd", "data_docs/%2fetc%2fpasswd", "data_docs/vendor/site\\..\\index.html",
                    "rebuild/plan_records.json", "rebuild/../rebuild/plan.json"):
        r = _get(client, f"{base}/{hostile}", admin)
        assert r.status_code == 404, hostile
        assert "outside the run" not in r.text and "PAR1" not in r.text and "secret" not in r.text
    # a rebuild run serves no Data Docs and no other DAG's files; an unknown run is 404
    assert _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/data_docs/vendor/site/index.html", admin).status_code == 404
    assert _get(client, f"/dags/{NIGHTLY}/runs/{RUN_URL}/rebuild/plan.json", admin).status_code == 404
    assert _get(client, f"/dags/{REBUILD}/runs/manual__other/rebuild/plan.json", admin).status_code == 404
    assert _get(client, f"/dags/some_other_dag/runs/{RUN_URL}/rebuild/plan.json", admin).status_code == 404


def test_pipeline_refuses_every_path_outside_its_list(home: Path) -> None:
    from leadpipe.pipeline.context import run_folder
    from leadpipe.pipeline.run_outputs import run_file
    from leadpipe.pipeline.settings import load_config

    cfg = load_config()
    folder = run_folder(cfg, RUN)
    (folder / "data_docs" / "s").mkdir(parents=True)
    (folder / "data_docs" / "s" / "index.html").write_text("x")
    (folder / "summary.json").write_text("{}")
    assert run_file(cfg, NIGHTLY, RUN, "summary.json").path == folder / "summary.json"
    assert run_file(cfg, NIGHTLY, RUN, "data_docs/s/index.html").path == folder / "data_docs" / "s" / "index.html"
    for bad in ("", "/summary.json", "./summary.json", "data_docs/../summary.json", "data_docs/s/../../summary.json",
                "data_docs//s/index.html", "data_docs/.hidden/index.html", "data_docs/s/index.html\x00.png",
                f"data_docs/{folder}/summary.json", "data_docs/s/index.html/", "data_docs/s/./index.html"):
        assert run_file(cfg, NIGHTLY, RUN, bad) is None, bad


def test_list_preview_escapes_sorts_and_downloads(airflow_auth, client, rebuild_run) -> None:
    from openpyxl import load_workbook

    admin = _token(airflow_auth, "admin", "admin")
    base = f"/dags/{REBUILD}/runs/{RUN_URL}/rebuild"
    page = _get(client, f"{base}/list_preview.html", admin)
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    assert HOSTILE_NAME not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script" not in page.text
    members = page.text.split('id="members"')[1].split("</table>")[0]
    # DACH Economic Buyers (tests/rebuild_seed.py): ceo (85) and vp (72) are created; best score first
    assert members.index("85") < members.index("72") and members.count("create (new in the CRM)") == 2
    left_out = page.text.split('id="suppressed"')[1].split("</table>")[0]
    assert "email on do-not-contact list do_not_contact.csv" in left_out
    assert "web form lead without email consent" in left_out and "dnc Seed" in left_out and "form Seed" in left_out

    by_score_up = _get(client, f"{base}/list_preview.html?sort=score&order=asc", admin).text
    m = by_score_up.split('id="members"')[1].split("</table>")[0]
    assert m.index("72") < m.index("85")
    by_reason = _get(client, f"{base}/list_preview.html?ssort=reason&sorder=asc", admin).text
    s = by_reason.split('id="suppressed"')[1].split("</table>")[0]
    assert s.index("email on do-not-contact") < s.index("web form lead")
    assert 'href="?sort=score&amp;order=desc&amp;ssort=reason&amp;sorder=desc#suppressed"' in by_reason
    assert _get(client, f"{base}/list_preview.html?sort=<x>&order=';drop", admin).status_code == 200

    download = _get(client, f"{base}/list_preview.csv", admin)
    assert download.headers["content-disposition"] == 'attachment; filename="list_preview.csv"'
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["person_id"], r["score"], r["action"]) for r in rows] == [("p-dach-ceo", "85", "create"),
                                                                      ("p-dach-vp", "72", "create")]
    assert rows[0]["name"] == HOSTILE_NAME + " Seed" and rows[0]["market"] == "DACH mid-market"
    assert {r["persona"] for r in rows} == {"Economic Buyer"}  # the rule the segment chose them by
    xlsx = _get(client, f"{base}/list_preview.xlsx", admin)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["company"].value == HOSTILE_COMPANY and first["company"].data_type == "s"  # text, not a formula
    assert first["score"].value == 85


def test_excel_copy_of_the_crm_import_file(airflow_auth, client, rebuild_run, home) -> None:
    from openpyxl import load_workbook

    run_dir = rebuild_run.parent
    (run_dir / "crm_import.csv").write_text("person_id,company,score\np1,=1+1,70\np2,Acme,\n", encoding="utf-8")
    admin = _token(airflow_auth, "admin", "admin")
    r = _get(client, f"/dags/{NIGHTLY}/runs/{RUN_URL}/crm_import.xlsx", admin)
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="crm_import.xlsx"'
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(r.content)).active.iter_rows()]
    assert rows == [["person_id", "company", "score"], ["p1", "=1+1", 70], ["p2", "Acme", None]]
    assert load_workbook(io.BytesIO(r.content)).active["B2"].data_type == "s"


def test_run_page_lists_reports_and_task_tabs_open_theirs(airflow_auth, client, rebuild_run) -> None:
    admin = _token(airflow_auth, "admin", "admin")
    index = _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/", admin)
    assert 'href="rebuild/list_preview.html"' in index.text and 'href="rebuild/list_preview.xlsx"' in index.text
    assert "Rebuild report (choices, plan, approval, CRM result): not produced by this run (yet)" in index.text
    tab = _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/?task=approve_crm_write", admin)
    assert tab.status_code == 303 and tab.headers["location"] == "rebuild/list_preview.html"
    assert _get(client, f"/dags/{REBUILD}/runs/{RUN_URL}/?task=report", admin).status_code == 200  # not yet written


def test_rebuild_report_links_are_relative_and_resolve_in_the_run_folder(rebuild_run) -> None:
    import re

    from leadpipe.pipeline.rebuild import load_plan, write_list
    from leadpipe.pipeline.report import write_rebuild_report
    from leadpipe.pipeline.settings import load_config

    crm = write_list(load_config(), RUN, rebuild_run)
    page = write_rebuild_report(rebuild_run, load_plan(rebuild_run)[0], crm, "approved").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert {"list_members.csv", "list_preview.html", "crm_import.csv"} <= set(hrefs)
    for h in hrefs:
        assert "://" not in h and not h.startswith("/") and (rebuild_run / h).exists(), h


def test_plugin_registers_the_app_and_the_reports_tabs() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("leadpipe_forms_plugin",
                                                  Path(__file__).parents[1] / "plugins" / "leadpipe_forms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plugin = module.LeadpipeFormsPlugin
    assert {a["url_prefix"] for a in plugin.fastapi_apps} == {"/leadpipe-forms", "/leadpipe-reports"}
    views = {v["destination"]: v["href"] for v in plugin.external_views}
    assert views == {"dag_run": "/leadpipe-reports/dags/{DAG_ID}/runs/{RUN_ID}/",
                     "task_instance": "/leadpipe-reports/dags/{DAG_ID}/runs/{RUN_ID}/?task={TASK_ID}"}


@pytest.mark.slow
def test_every_link_in_a_nightly_report_works_through_the_ui(airflow_auth, demo_home: Path) -> None:
    """A real demo run's report, opened through the plugin: each of its links (Data Docs per source, the CRM
    import file) answers from the same server, and so does every link on the run's list of reports."""
    import re
    from urllib.parse import quote, urljoin

    from fastapi.testclient import TestClient

    from leadpipe.airflow_app.reports_app import create_app
    from leadpipe.pipeline.run import run_pipeline
    from leadpipe.pipeline.settings import load_config

    summary = run_pipeline(load_config())
    run_id = summary["run_id"]
    client = TestClient(create_app(run_exists=lambda dag, run: (dag, run) == (NIGHTLY, run_id)))
    admin = _token(airflow_auth, "admin", "admin")
    run_url = f"http://testserver/dags/{NIGHTLY}/runs/{quote(run_id, safe='')}/"
    index = _get(client, run_url, admin)
    links = re.findall(r'href="([^"]+)"', index.text)
    assert "report.html" in links and "crm_import.xlsx" in links
    # one Data Docs site per validated source and one for the prospects before the push
    assert sum("data_docs/" in h for h in links) == len(summary["data_docs"]) == 4
    report = _get(client, urljoin(run_url, "report.html"), admin)
    # the report as served says the run's status and every quarantined row in plain words, with the value
    shown = html.unescape(report.text)
    assert summary["status"] == "succeeded" and "The run succeeded." in shown
    examples = [e for q in summary["quarantine"] for e in q["examples"]]
    assert examples and all(e in shown for e in examples)
    assert re.search(r"lead values \(\w+\)</td><td class='warn'>passed, \d+ rows? quarantined", shown)
    assert "failed" not in re.sub(r"<[^>]+>", " ", shown)
    report_links = re.findall(r'href="([^"]+)"', report.text)
    assert report_links and any("data_docs/" in h for h in report_links)
    for href in {*links, *report_links}:
        r = _get(client, urljoin(run_url, href.replace("&amp;", "&")), admin)
        assert r.status_code == 200, href
    assert _get(client, urljoin(run_url, "report.html")).status_code == 401


def test_no_requested_path_reaches_outside_the_run_folder(home: Path) -> None:
    """Whatever path a request names, what is served is a listed output or a Data Docs file inside the run."""
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    from leadpipe.pipeline.context import run_folder
    from leadpipe.pipeline.run_outputs import OUTPUTS, run_file
    from leadpipe.pipeline.settings import load_config

    cfg = load_config()
    folder = run_folder(cfg, RUN)
    site = folder / "data_docs" / "s"
    site.mkdir(parents=True)
    (site / "index.html").write_text("x")
    (folder / "summary.json").write_text("{}")
    (folder / "prospects.parquet").write_bytes(b"PAR1")
    (home / "secret.html").write_text("outside")
    (site / "link.html").symlink_to(home / "secret.html")
    listed = {folder / o.path for o in OUTPUTS[NIGHTLY]}
    segments = st.sampled_from(["..", ".", "", "data_docs", "s", "index.html", "link.html", "summary.json",
                                "prospects.parquet", "%2e%2e", "\\..", "~", str(home), "secret.html"])

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(segments, min_size=1, max_size=6))
    @example(["data_docs", "s", "link.html"])
    @example(["data_docs", "s", "..", "..", "prospects.parquet"])
    def check(parts: list[str]) -> None:
        found = run_file(cfg, NIGHTLY, RUN, "/".join(parts))
        if found is not None:
            real = Path(found.path).resolve()
            assert real in listed or real.is_relative_to((folder / "data_docs").resolve()), parts
            assert real != (home / "secret.html").resolve()

    check()


def test_every_nightly_report_url_refuses_strangers(airflow_auth, client, home: Path) -> None:
    """Each file a nightly run serves (report, summary, CRM import as CSV and Excel, Data Docs): no login is
    401 (a browser goes to the login page), a user who may not read the DAG gets 403, a viewer gets the file."""
    from leadpipe.pipeline.context import run_folder
    from leadpipe.pipeline.run_outputs import OUTPUTS
    from leadpipe.pipeline.settings import load_config

    folder = run_folder(load_config(), RUN)
    site = folder / "data_docs" / "vendor" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<p>Anna Berg anna@kunde.de</p>", encoding="utf-8")
    (folder / "report.html").write_text("<p>Anna Berg anna@kunde.de</p>", encoding="utf-8")
    (folder / "summary.json").write_text('{"reasons": ["anna@kunde.de"]}', encoding="utf-8")
    (folder / "crm_import.csv").write_text("email\nanna@kunde.de\n", encoding="utf-8")
    paths = ["", *(o.path for o in OUTPUTS[NIGHTLY]), "data_docs/vendor/site/index.html"]
    assert {"report.html", "summary.json", "crm_import.csv", "crm_import.xlsx"} <= set(paths)
    outsider = _token(airflow_auth, "outsider", "")
    viewer = _token(airflow_auth, "viewer", "viewer")
    for path in paths:
        url = f"/dags/{NIGHTLY}/runs/{RUN_URL}/{path}"
        anonymous = _get(client, url)
        assert anonymous.status_code == 401 and "anna" not in anonymous.text, path
        browser = _get(client, url, Accept="text/html")
        assert browser.status_code == 302 and browser.headers["location"].startswith("/auth/login?next="), path
        refused = _get(client, url, outsider)
        assert refused.status_code == 403 and "anna" not in refused.text, path
        assert _get(client, url, viewer).status_code == 200, path


def test_a_call_lists_run_lists_its_reports_and_serves_the_lists_formula_safe(airflow_auth, home: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The Reports tab of a call_lists_daily run: the list of its files, the task tab opening the quota report,
    the CSV and the Excel copy downloaded through the UI with a hostile company name left inert."""
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from leadpipe.airflow_app.reports_app import create_app
    from leadpipe.pipeline.call_lists import build_call_lists
    from tests.test_call_lists import JAMES, NEW_YORK, NOW, _config, _person, _seed

    dag = "call_lists_daily"
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url)
    _seed(url, _person("evil", JAMES, 80, NEW_YORK, company=HOSTILE_COMPANY), _person("plain", JAMES, 60, NEW_YORK))
    build_call_lists(cfg, RUN, NOW)
    client = TestClient(create_app(run_exists=lambda d, r: (d, r) == (dag, RUN)))
    admin = _token(airflow_auth, "admin", "admin")

    index = _get(client, f"/dags/{dag}/runs/{RUN_URL}/", admin)
    assert index.status_code == 200
    for name in ("call_lists/report.html", "call_lists/call_list.csv", "call_lists/call_list.xlsx"):
        assert f'href="{name}"' in index.text, name
    tab = _get(client, f"/dags/{dag}/runs/{RUN_URL}/?task=build_call_lists", admin)
    assert tab.status_code == 303 and tab.headers["location"] == "call_lists/report.html"
    report = _get(client, f"/dags/{dag}/runs/{RUN_URL}/call_lists/report.html", admin)
    assert report.status_code == 200 and "Quota use per owner" in report.text and JAMES in report.text

    rows = list(csv.DictReader(io.StringIO(_get(client, f"/dags/{dag}/runs/{RUN_URL}/call_lists/call_list.csv",
                                                     admin).text)))
    assert [r["person_id"] for r in rows] == ["evil", "plain"] and rows[0]["company"] == "'" + HOSTILE_COMPANY
    xlsx = _get(client, f"/dags/{dag}/runs/{RUN_URL}/call_lists/call_list.xlsx", admin)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("company") + 1)
    assert cell.data_type == "s" and str(cell.value).endswith(HOSTILE_COMPANY)
    # a stranger to the DAG gets nothing
    outsider = _token(airflow_auth, "outsider", None)
    assert _get(client, f"/dags/{dag}/runs/{RUN_URL}/call_lists/call_list.csv", outsider).status_code == 403
