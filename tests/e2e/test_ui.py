"""Sales-ops' path through the Airflow UI, in Debian's chromium: log in, rebuild a prospect list with the form,
read the plan in the report, then write a list that needs approval: open the list preview from the approval
page, approve, open the run's report from the DAG run page and download the members, all by clicking.
The report URLs refuse anonymous requests (401) and a user who may not read the DAG (403).
The same test saves the screenshots in docs/images/ that docs/airflow-ui.md shows.
Last, a rebuild with CRM "HubSpot" picked in the form goes through the HubSpot emulator
(tests/emulators/hubspot.py): the host comes from the config file and the token from the Airflow Connection
`hubspot_default` (`AIRFLOW_CONN_HUBSPOT_DEFAULT`), as in a deployment, and the emulator's static list then
holds exactly the people in that run's plan.

Starts its own `airflow standalone` (own AIRFLOW_HOME, free port) over a small hand-checked warehouse
(tests/rebuild_seed.py): DACH Economic Buyers with score >= 40 are 4 people, 2 of them suppressed (one on
the do-not-contact list, one form lead without consent last night), so the plan is 2 creates.
Screenshots and the page HTML go to test-artifacts/ when a step fails.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.airflow_server import REPO, AirflowServer, start_airflow
from tests.emulators.hubspot import HubSpotEmulator
from tests.rebuild_seed import seed_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
IMAGES = REPO / "docs" / "images"
DAG_ID = "rebuild_prospect_list"
# the simple auth manager's users: sales-ops log in as admin here; "outsider" has no role, so the auth
# manager lets them read no DAG at all (the simple auth manager has no per-DAG permissions)
USERS = {"admin": ("admin", "e2e-admin-pw"), "outsider": ("", "e2e-outsider-pw")}
HUBSPOT_TOKEN = "pat-na1-e2e-rebuild"


@pytest.fixture(scope="module")
def hubspot() -> Iterator[HubSpotEmulator]:
    """The HubSpot emulator the Airflow tasks write to; it outlives the Airflow server (stack uses it)."""
    emu = HubSpotEmulator(token=HUBSPOT_TOKEN).start()
    try:
        yield emu
    finally:
        emu.stop()  # fails the test on any request the official HubSpot models refuse


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, hubspot: HubSpotEmulator) -> Iterator[tuple[AirflowServer, Path]]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: run `make test-e2e-deps` (installs Debian's chromium)")
    base = tmp_path_factory.mktemp("e2e")
    home = base / "home"
    home.mkdir()
    seed_warehouse(home)
    # Approval is asked for above 1 write here, so the 2-create list needs a person to approve it.
    text = (REPO / "config" / "leadpipe.yaml").read_text(encoding="utf-8")
    # The form offers HubSpot too; its host is the emulator's (config), its token is in the Connection.
    for old, new in (("approval_above: 500", "approval_above: 1"),
                     ("crm_targets: [local]", "crm_targets: [local, hubspot]"),
                     ("sink:\n  type: local\n", f"sink:\n  type: local\n  hubspot:\n    host: {hubspot.url}\n")):
        assert old in text, old
        text = text.replace(old, new)
    (base / "leadpipe.yaml").write_text(text, encoding="utf-8")
    env = {"LEADPIPE_HOME": str(home), "LEADPIPE_CONFIG": str(base / "leadpipe.yaml"),
           "LEADPIPE_WAREHOUSE_URL": f"sqlite:///{home / 'warehouse.db'}",
           "AIRFLOW_CONN_HUBSPOT_DEFAULT": json.dumps({"conn_type": "http", "password": HUBSPOT_TOKEN}),
           "LEADPIPE_HUBSPOT_TOKEN": ""}  # empty: a developer's own token must not shadow the Connection
    server = start_airflow(base / "airflow", env, users=USERS)
    try:
        server.wait_for(f"{DAG_ID} parsed", lambda: server.api("GET", f"/dags/{DAG_ID}")[0] == 200, timeout=300)
        assert server.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})[0] == 200
        yield server, home
    finally:
        server.stop()
        shutil.copy(server.log_path, ARTIFACTS / "airflow-standalone.log") if ARTIFACTS.exists() else None


@pytest.fixture
def page(request: pytest.FixtureRequest):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg.set_default_timeout(60_000)
        _log_in(pg, request.getfixturevalue("stack")[0])
        yield pg
        failed = getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"\W+", "_", request.node.name)
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(pg.content(), encoding="utf-8")
        browser.close()


def _log_in(page, server: AirflowServer) -> None:
    """Airflow's own login page (simple auth manager), as a person would use it."""
    page.goto(server.url)
    page.locator('input[name="username"]').fill("admin")
    page.locator('input[name="password"]').fill(USERS["admin"][1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile("Dags", re.IGNORECASE)).first.wait_for()


def _pick(dialog, field: str, text: str) -> None:
    """Choose an option in a (multi-)select by typing part of its label, as a person would."""
    dialog.locator(f"#element_{field}").click()
    dialog.page.keyboard.type(text)
    dialog.page.keyboard.press("Enter")
    dialog.page.keyboard.press("Tab")  # closes the menu; Escape would close the whole dialog


def _open_dag(page) -> None:
    """From wherever the person is: the Dags list in the navigation, then the DAG by name (by clicking)."""
    page.get_by_role("link", name=re.compile("^Dags$", re.IGNORECASE)).first.click()
    page.get_by_role("link", name=DAG_ID, exact=True).first.click()
    page.wait_for_url(re.compile(rf"/dags/{DAG_ID}(/|$|\?)"))
    page.get_by_role("link", name="Overview", exact=True).wait_for()  # the DAG's page, not the list any more


def _fill_form(page, server: AirflowServer, list_name: str, dry_run: bool, crm: str | None = None) -> None:
    """Fill in and submit the trigger form; ``crm``: the CRM option's label to pick (None: the default)."""
    _open_dag(page)
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("The list", exact=True).click()
    dialog.locator("#element_list_name").fill(list_name)
    if crm:
        _pick(dialog, "crm_target", crm)
    box = dialog.get_by_role("checkbox", name=re.compile("Dry run"))
    if box.is_checked() != dry_run:
        dialog.get_by_text("Dry run (plan only, write nothing)").click()
    assert box.is_checked() == dry_run
    dialog.get_by_text("Who goes on the list", exact=True).click()
    _pick(dialog, "markets", "DACH")
    _pick(dialog, "personas", "Economic Buyer")
    dialog.get_by_role("button", name="Trigger").click()
    # the UI can render the same toast twice (Chakra's toaster during its animation): either copy will do
    page.get_by_text("Dag run has been successfully triggered").first.wait_for()


def _latest_run(server: AirflowServer, list_name: str) -> dict:
    def find() -> dict | None:
        runs = server.api("GET", f"/dags/{DAG_ID}/dagRuns?order_by=-run_after&limit=5")[1].get("dag_runs", [])
        return next((r for r in runs if r.get("conf", {}).get("list_name") == list_name), None)

    return server.wait_for(f"run for {list_name}", find, timeout=60)


def _wait_state(server: AirflowServer, run_id: str, states: set[str], timeout: float) -> str:
    def state() -> str | None:
        s = server.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")[1].get("state")
        if s == "failed" and "failed" not in states:
            raise AssertionError(f"run {run_id} failed: {_failed_tasks(server, run_id)}")
        return s if s in states else None

    return server.wait_for(f"run {run_id} in {states}", state, timeout=timeout)


def _failed_tasks(server: AirflowServer, run_id: str) -> str:
    """Which tasks failed and the end of their last log, so a failure in CI can be read without the server's home."""
    base = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances"
    tasks = server.api("GET", base)[1].get("task_instances", [])
    failed = [t for t in tasks if t.get("state") in ("failed", "upstream_failed")]
    parts = []
    for t in failed:
        line = f"{t['task_id']} {t['state']} (try {t.get('try_number')})"
        if t.get("state") == "failed" and t.get("try_number"):
            log = server.api("GET", f"{base}/{t['task_id']}/logs/{t['try_number']}?full_content=true")[1]
            line += f"; log tail: {str(log.get('content', log))[-1500:]}"
        parts.append(line)
    return "; ".join(parts) or "no failed task listed"


def _pause_taken_in(server: AirflowServer, run_id: str) -> None:
    """Wait until the scheduler has read the end of the approval task's first workload (the one that paused it).

    Airflow 3.3 with the LocalExecutor: the task sets itself awaiting_input, but its worker process ends seconds
    later, and the scheduler reads that "success" event on a later loop. An approval given in between re-queues
    the task first; the late event then finds it queued and the scheduler marks it FAILED ("finished with state
    success, but the task instance's state attribute is queued"): the run fails (seen once in CI on a slow
    machine, approving 6 s after the pause). A person takes longer than that; the test waits for the event."""
    event = ("Received executor event with state success for task instance TaskInstanceKey(dag_id="
             f"'{DAG_ID}', task_id='approve_crm_write', run_id='{run_id}', try_number=1")
    server.wait_for("the scheduler to take in the approval task's pause",
                    lambda: event in server.log_path.read_text(encoding="utf-8", errors="replace"), timeout=120)


def _report_path(home: Path, run_id: str) -> Path:
    return home / "runs" / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id) / "rebuild" / "report.html"


def test_dry_run_from_the_form_shows_the_plan(stack, page) -> None:
    server, home = stack
    _fill_form(page, server, "DACH buyers dry run", dry_run=True)
    run = _latest_run(server, "DACH buyers dry run")
    assert run["conf"]["markets"] == ["dach_mid_market"] and run["conf"]["personas"] == ["Economic Buyer"]
    assert run["conf"]["dry_run"] is True
    _wait_state(server, run["dag_run_id"], {"success"}, timeout=600)

    # the run's page by clicking: the DAG, its Runs tab, then the run
    _open_dag(page)
    page.get_by_role("link", name="Runs", exact=True).first.click()
    page.get_by_role("link", name=run["dag_run_id"], exact=True).first.click()
    page.wait_for_url(re.compile(r"/runs/[^/]+/?$"))
    page.get_by_text("success", exact=False).first.wait_for()
    # the plan in the rebuild report, opened from the run's Reports tab (not from the server's run folder)
    page.get_by_role("link", name="Reports", exact=True).click()
    frame = page.frame_locator('iframe[title="Reports"]')
    frame.get_by_role("link", name=re.compile("^Rebuild report")).click()
    assert frame.locator("#plan-summary").inner_text() == (
        "In segment: 4 of 9 people. Plan: 2 creates, 0 updates, 0 skips, 2 suppressions.")
    assert frame.locator("#approval").inner_text() == "dry run: nothing was written"
    assert frame.locator("#crm-result").inner_text() == "nothing was written to a CRM"
    assert _report_path(home, run["dag_run_id"]).exists()  # the same page is in the run folder


def test_large_list_waits_for_approval_in_the_ui_then_lands_in_the_local_sink(stack, page) -> None:
    from sqlalchemy import create_engine, select

    from leadpipe.store.warehouse import prospects

    server, home = stack
    _fill_form(page, server, "DACH buyers live", dry_run=False)
    run = _latest_run(server, "DACH buyers live")
    run_id = run["dag_run_id"]

    def awaiting() -> bool:
        ti = server.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve_crm_write")[1]
        if ti.get("state") in ("failed", "upstream_failed", "skipped"):
            raise AssertionError(f"approval task ended as {ti.get('state')}")
        return ti.get("state") in ("awaiting_input", "deferred")

    server.wait_for("approval request", awaiting, timeout=600)
    _pause_taken_in(server, run_id)
    engine = create_engine(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(prospects.c.person_id)).all() == []  # nothing written before approval

    # to the approval by clicking: the run page's "1 Required Actions" (shown while one is pending; the UI
    # opened the run's page on Trigger) lists it; its task, then the task's Required Action tab
    page.reload()
    page.get_by_role("button", name=re.compile("Required Actions")).first.click()
    page.get_by_role("dialog").get_by_role("link", name="approve_crm_write", exact=True).click()
    page.get_by_role("link", name=re.compile("^Required Action")).click()
    page.wait_for_url(re.compile(r"/tasks/approve_crm_write/required_actions"))
    page.get_by_text("Write the prospect list 'DACH buyers live' to local?").first.wait_for()
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "approval.png"))
    # the task's own Reports tab opens the file that task is about: for the approval, the list preview
    page.get_by_role("link", name="Reports", exact=True).click()  # the UI's tabs are links
    assert page.frame_locator('iframe[title="Reports"]').locator("#preview-summary").inner_text().startswith(
        "2 people on the list")
    page.get_by_role("link", name=re.compile("^Required Action")).click()

    # the approval body links to the list preview: who goes on the list, who is left out and why
    with page.context.expect_page() as opened:  # the UI opens links in an approval's text in a new tab
        page.get_by_role("link", name="See who is on the list").click()
    preview = opened.value
    preview.set_viewport_size({"width": 1400, "height": 1000})
    preview.locator("#preview-summary").wait_for(timeout=30_000)
    assert preview.locator("#preview-summary").inner_text() == (
        "2 people on the list: 2 to create, 0 to update, 0 unchanged (not sent). 2 left out by suppression.")
    members = preview.locator("#members tbody tr")
    assert members.count() == 2
    first = members.nth(0).inner_text()
    assert "ceo Seed" in first and "85" in first and "Economic Buyer" in first  # best score first
    preview.locator("#members").get_by_role("link", name=re.compile("^Score")).click()  # lowest score first
    preview.wait_for_url(re.compile(r"sort=score&order=asc"))
    assert "vp Seed" in preview.locator("#members tbody tr").nth(0).inner_text()
    left_out = preview.locator("#suppressed").inner_text()
    assert "email on do-not-contact list do_not_contact.csv" in left_out
    assert "web form lead without email consent" in left_out
    preview.screenshot(path=str(IMAGES / "list-preview.png"), full_page=True)
    preview.close()

    page.get_by_text("Write the prospect list 'DACH buyers live' to local?").first.wait_for()
    page.get_by_role("button", name="Approve").click()

    _wait_state(server, run_id, {"success"}, timeout=600)
    with engine.connect() as conn:
        landed = set(conn.execute(select(prospects.c.person_id)).scalars())
    assert landed == {"p-dach-ceo", "p-dach-vp"}

    # the run's page has a Reports tab (the plugin's external view): the report, then the members download
    page.get_by_role("link", name=run_id).first.click()  # the breadcrumb: from the task to its run
    page.get_by_role("link", name="Reports", exact=True).click()
    frame = page.frame_locator('iframe[title="Reports"]')
    frame.get_by_role("link", name=re.compile("^Rebuild report")).click()
    assert frame.locator("#approval").inner_text() == "approved in the Airflow UI"
    assert frame.locator("#crm-result").inner_text().startswith("2 written to local, 0 failed, 0 unchanged.")
    page.screenshot(path=str(IMAGES / "run-report.png"))
    with page.expect_download() as download:
        frame.get_by_role("link", name="list_members.csv").click()
    saved = download.value.path().read_text(encoding="utf-8").splitlines()
    assert download.value.suggested_filename == "list_members.csv"
    assert saved[0] == "list_name,person_id,action"
    assert sorted(saved[1:]) == ["DACH buyers live,p-dach-ceo,create", "DACH buyers live,p-dach-vp,create"]
    _report_urls_refuse_strangers(server, run_id)


def _report_urls_refuse_strangers(server: AirflowServer, run_id: str) -> None:
    """Each report URL: no login gets 401 (a browser: the login page), no permission on the DAG gets 403."""
    from urllib.parse import quote

    outsider = server.login("outsider", USERS["outsider"][1])
    base = f"/leadpipe-reports/dags/{DAG_ID}/runs/{quote(run_id, safe='')}/"
    paths = ["", "rebuild/report.html", "rebuild/list_preview.html", "rebuild/list_preview.csv",
             "rebuild/list_preview.xlsx", "rebuild/list_members.csv", "rebuild/list_members.xlsx",
             "rebuild/crm_import.csv", "rebuild/crm_import.xlsx", "rebuild/plan.json"]
    for path in paths:
        assert server.request("GET", base + path, token=server.token)[0] == 200, path  # the admin may
        assert server.request("GET", base + path)[0] == 401, path
        status, _ = server.request("GET", base + path, headers={"Accept": "text/html"})
        assert status == 302, path  # to Airflow's login page
        status, body = server.request("GET", base + path, token=outsider)
        assert status == 403 and "DACH" not in str(body), path


def test_rebuild_into_hubspot_from_the_form_fills_the_static_list(stack, page, hubspot: HubSpotEmulator) -> None:
    """HubSpot picked in the form: after the approval the emulator's static list holds exactly the plan's people."""
    server, home = stack
    name = "DACH buyers HubSpot"
    _fill_form(page, server, name, dry_run=False, crm="HubSpot")
    run = _latest_run(server, name)
    run_id = run["dag_run_id"]
    assert run["conf"]["crm_target"] == "hubspot"

    def next_step() -> str | None:
        state = server.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")[1].get("state")
        if state in ("success", "failed"):
            return state
        ti = server.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve_crm_write")[1]
        if ti.get("state") in ("failed", "upstream_failed"):
            raise AssertionError(f"approval task ended as {ti.get('state')}")
        return "approve" if ti.get("state") in ("awaiting_input", "deferred") else None

    if server.wait_for("approval request or the end of the run", next_step, timeout=600) == "approve":
        _pause_taken_in(server, run_id)
        # by clicking, as in the approval test: the run page's Required Actions, the task, its Required Action tab
        page.reload()
        page.get_by_role("button", name=re.compile("Required Actions")).first.click()
        page.get_by_role("dialog").get_by_role("link", name="approve_crm_write", exact=True).click()
        page.get_by_role("link", name=re.compile("^Required Action")).click()
        page.wait_for_url(re.compile(r"/tasks/approve_crm_write/required_actions"))
        page.get_by_text(f"Write the prospect list '{name}' to hubspot?").first.wait_for()
        page.get_by_role("button", name="Approve").click()
    _wait_state(server, run_id, {"success"}, timeout=600)

    folder = _report_path(home, run_id).parent
    planned = {p["person_id"]: p["record"] for p in json.loads((folder / "plan_records.json").read_text())}
    with (folder / "list_members.csv").open(encoding="utf-8", newline="") as fh:
        members = {row["person_id"] for row in csv.DictReader(fh)}
    assert members and members == set(planned)  # the run wrote what it planned; an empty plan proves nothing
    crm = json.loads((folder / "crm_result.json").read_text())
    assert (crm["target"], crm["failed"]) == ("hubspot", 0)

    [list_id] = [lid for lid, lst in hubspot.lists.items() if lst["name"] == name]
    assert hubspot.lists[list_id]["processingType"] == "MANUAL"  # a static list: members change only when we say
    on_list = [hubspot.objects["contacts"][cid]["properties"] for cid in hubspot.members[list_id]]
    assert sorted(c["lp_person_id"] for c in on_list) == sorted(members)
    assert {c["email"].lower() for c in on_list} == {planned[p]["email"].lower() for p in members}
