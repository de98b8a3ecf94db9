"""Hostile outputs: a password in a URL never reaches a file, the warehouse's run record, the terminal or a log.

Issue #17: `summary.json` showed the warehouse password given as `?password=` in LEADPIPE_WAREHOUSE_URL. The
end-to-end case runs `leadpipe -v run` (and `funnel`) as a user would, on the real PostgreSQL server, with
a password both as `user:secret@` and as `?password=` (the local server trusts 127.0.0.1, so both are
accepted and ignored), then looks for either secret in every file of the run folder, the stored run
summary, and everything the commands printed or logged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import URL

from leadpipe.core.errors import ConfigError
from leadpipe.core.redact import mask_text, mask_url, url_secrets
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, runs

LEADPIPE = Path(sys.executable).with_name("leadpipe")
USER_SECRET = "Usr0Secret7x"
QUERY_SECRET = "Qry0Secret9y"


def _leadpipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LEADPIPE), "-v", *args], env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.mark.postgres
def test_a_run_with_passwords_in_the_warehouse_url_shows_them_nowhere(demo_home: Path, pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg2://postgres@")
    url = pg_url.replace("://postgres@", f"://postgres:{USER_SECRET}@") + f"?password={QUERY_SECRET}"
    env = {**os.environ, "LEADPIPE_HOME": str(demo_home), "LEADPIPE_WAREHOUSE_URL": url}
    env.pop("LEADPIPE_CONFIG", None)

    run = _leadpipe(env, "run", "--run-id", "run-secret")
    funnel = _leadpipe(env, "funnel", "run-secret")
    assert run.returncode == 0, run.stderr[-3000:]
    assert funnel.returncode == 0, funnel.stderr[-3000:]
    assert "pushed to the CRM" in run.stdout and "INFO" in run.stderr  # the output and the logs were captured

    folder = demo_home / "runs" / "run-secret"
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {"summary.json", "report.html", "crm_import.csv"} <= {p.name for p in files}
    with engine_for(pg_url).connect() as conn:
        stored = conn.execute(select(runs.c.summary).where(runs.c.run_id == "run-secret")).scalar_one()
    places = {str(p.relative_to(folder)): p.read_bytes().decode("utf-8", "replace") for p in files}
    places |= {"runs.summary (warehouse)": str(stored), "run stdout": run.stdout, "run stderr (log)": run.stderr,
               "funnel stdout": funnel.stdout, "funnel stderr": funnel.stderr}
    leaks = sorted(name for name, text in places.items() if USER_SECRET in text or QUERY_SECRET in text)
    assert leaks == []
    summary = (folder / "summary.json").read_text(encoding="utf-8")
    assert "postgres:***@127.0.0.1:5432/" in summary and "password=***" in summary  # still says which database


def test_a_storage_url_in_a_config_error_is_masked(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_RUNS_URL", f"AKIAEXAMPLE:{USER_SECRET}@bucket/runs")  # no scheme: refused
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "LEADPIPE_RUNS_URL" in str(err.value) and USER_SECRET not in str(err.value)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg2://lp:s3cr3t@db:5432/leadpipe?sslmode=require&sslpassword=k3yp4ss",
     "postgresql+psycopg2://lp:***@db:5432/leadpipe?sslmode=require&sslpassword=***"),
    ("postgresql://lp:p@ss/w?rd@db/leadpipe", "postgresql://lp:***@db/leadpipe"),  # unencoded @ / ? typed in
    ("redis://:r3d1s@redis:6379/0", "redis://:***@redis:6379/0"),
    ("https://api.example.com/v1?api_key=AK1&access_token=AT2&pwd=P3&pass=P4&key=K5&secret=S6&page=2",
     "https://api.example.com/v1?api_key=***&access_token=***&pwd=***&pass=***&key=***&secret=***&page=2"),
    ("https://b.s3.amazonaws.com/f?X-Amz-Credential=AKIA&X-Amz-Signature=abc&X-Amz-Security-Token=t",
     "https://b.s3.amazonaws.com/f?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***"),
    ("https://example.com/app#access_token=tok&state=1", "https://example.com/app#access_token=***&state=1"),
    ("sqlite:////srv/leadpipe/warehouse.db", "sqlite:////srv/leadpipe/warehouse.db"),
    ("https://example.com:8443/team/a@b.example", "https://example.com:8443/team/a@b.example"),  # a port, no password
    ("mysql+pymysql://root@127.0.0.1:3306/leads", "mysql+pymysql://root@127.0.0.1:3306/leads"),
])
def test_each_url_spelling_is_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert mask_text(f"cannot open {url}: refused") == f"cannot open {shown}: refused"


def test_a_sqlalchemy_url_object_is_rendered_without_its_password_and_secret_query() -> None:
    url = URL.create("postgresql+psycopg2", username="lp", password="p@ss w/rd", host="db", database="leadpipe",
                     query={"sslmode": "require", "token": "t0ken"})
    assert mask_url(url) == "postgresql+psycopg2://lp:***@db/leadpipe?sslmode=require&token=***"
    assert url_secrets(url) == ["p@ss w/rd", "t0ken"]


def test_a_libpq_connection_string_in_a_message_is_masked() -> None:
    said = mask_text("invalid dsn: host=db user=lp password='s3 cr3t' dbname=leads")
    assert "s3 cr3t" not in said and "host=db" in said and "password=***" in said


_PASSWORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                    min_size=6, max_size=30)


@settings(max_examples=300, deadline=None)
@given(password=_PASSWORD, query_secret=_PASSWORD,
       scheme=st.sampled_from(["postgresql+psycopg2", "mysql+pymysql", "redis", "https", "s3"]),
       param=st.sampled_from(["password", "sslpassword", "token", "api_key", "client_secret", "PWD"]))
def test_no_typed_password_survives_masking(password: str, query_secret: str, scheme: str, param: str) -> None:
    """A password typed into a URL as is (even with @ / ? : in it) never shows; nor a secret parameter's value
    (one without the separators & # ; a URL cannot carry unencoded)."""
    assume(not any(c in query_secret for c in "&#;"))
    url = f"{scheme}://leadpipe:{password}@db.internal:5432/leads?sslmode=require&{param}={query_secret}"
    rest = url.replace(password, "").replace(query_secret, "")
    assume(password not in rest and query_secret not in rest.replace(f"{param}=", ""))
    for shown in (mask_url(url), mask_text(f"connect to {url} failed")):
        assert password not in shown and query_secret not in shown
        if "@" not in password + query_secret:  # else the rules mask up to the last `@`: more, never less
            assert "db.internal:5432/leads" in shown  # the place is still named
    assert set(url_secrets(url)) >= {query_secret}


def test_task_logs_mask_the_url_secrets_through_airflow() -> None:
    """The DAGs register the warehouse and run-storage URLs' secrets with Airflow's masker, which task logs use."""
    from airflow.sdk.log import _secrets_masker

    from leadpipe.airflow_app.log_masking import mask_url_secrets

    found = mask_url_secrets(f"postgresql://lp:{USER_SECRET}@db/leads?password={QUERY_SECRET}", "")
    assert found == [USER_SECRET, QUERY_SECRET]
    line = _secrets_masker().redact(f"connecting with {USER_SECRET} and {QUERY_SECRET}")
    assert USER_SECRET not in line and QUERY_SECRET not in line


def test_run_files_mask_urls_in_source_errors(tmp_path: Path) -> None:
    """Every run file written through the ledger (notes, summary, CRM results) masks what an error quoted."""
    from leadpipe.store.ledger import write_json

    path = write_json(tmp_path / "notes.json", {"messages": [
        f"vendor_x: cannot read s3://AKIAEXAMPLE:{USER_SECRET}@bucket/lists/a.csv (403)",
        f"partner_db: invalid dsn: host=db password={QUERY_SECRET} user=lp"]})
    text = path.read_text(encoding="utf-8")
    assert USER_SECRET not in text and QUERY_SECRET not in text
    assert "s3://AKIAEXAMPLE:***@bucket/lists/a.csv (403)" in text


def test_the_rebuild_report_masks_a_crm_error_that_quotes_a_url(tmp_path: Path) -> None:
    from leadpipe.pipeline.report import write_rebuild_report

    counts = dict.fromkeys(("create", "update", "skip", "suppressed", "already_pushed_left_out", "no_email",
                            "in_segment", "people_in_warehouse"), 0)
    segment = {"list_name": "Q1", "crm_target": "hubspot", "markets": [], "personas": [], "countries": [],
               "min_score": 0, "tier": "any", "dry_run": False, "include_already_pushed": False}
    crm = {"written": 0, "failed": 1, "unchanged": 0, "target": "hubspot", "members_csv": None,
           "errors": [f"HTTP 401 from https://api.hubapi.com/crm/v3/objects/contacts?hapikey={USER_SECRET}"]}
    out = write_rebuild_report(tmp_path, {"counts": counts, "segment": segment}, crm, "approved")
    html = out.read_text(encoding="utf-8")
    assert USER_SECRET not in html and "hapikey=***" in html
