"""The form webhook over real HTTP: signed posts land exactly once; bad ones are refused and stored nowhere.

Most checks run the webhook app under uvicorn on a free port; one test runs Airflow's own API server with
the repo's plugins folder and posts through it, proving the plugin wiring.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
import yaml
from sqlalchemy import func, select

from leadpipe.airflow_app.forms_webhook import SIGNATURE_HEADER, sign
from leadpipe.store.warehouse import engine_for, form_inbox, migrate

REPO = Path(__file__).resolve().parents[1]
SECRET = "form-secret-for-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def form_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{home / 'warehouse.db'}"
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", url)
    monkeypatch.setenv("AIRFLOW_CONN_LEADPIPE_FORM_CONTACT", json.dumps({"conn_type": "generic",
                                                                          "password": SECRET}))
    monkeypatch.setenv("LEADPIPE_FORM_MAX_BYTES", "4096")
    return url


@pytest.fixture
def server(form_env: str):  # noqa: ANN201
    import uvicorn

    from leadpipe.airflow_app.forms_webhook import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def _post(base: str, body: bytes, signature: str | None, form: str = "contact") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return httpx.post(f"{base}/forms/{form}", content=body, headers=headers, timeout=120)


def _inbox_rows(url: str) -> int:
    migrate(url)
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(form_inbox)).scalar_one()


BASE = {"submission_id": "sub-001", "full_name": "Jane Doe", "email": "jane@acme.de", "company": "Acme GmbH",
        "consent_email": "yes", "_hp": ""}


def _submission(**changes: object) -> dict:
    """A form post as a browser sends it, rendered 42 s before now."""
    return {**BASE, "_rendered_at": time.time() - 42, **changes}


def test_signed_post_lands_exactly_once_even_when_retried(server: str, form_env: str) -> None:
    body = json.dumps(_submission()).encode()
    first = _post(server, body, sign(SECRET.encode(), body))
    assert first.status_code == 201 and first.json()["status"] == "stored"
    for _ in range(3):  # the website retries (lost answer, timeout)
        again = _post(server, body, sign(SECRET.encode(), body))
        assert again.status_code == 200 and again.json() == {"status": "duplicate", "id": first.json()["id"]}
    assert _inbox_rows(form_env) == 1
    with engine_for(form_env).connect() as conn:
        row = conn.execute(select(form_inbox)).one()
    assert row.payload["consent_email"] == "yes"  # consent kept as sent
    assert row.signals["honeypot_filled"] is False and row.signals["too_fast"] is False
    assert 40 <= row.signals["seconds_to_submit"] <= 60


def test_bot_signals_are_kept_not_dropped(server: str, form_env: str) -> None:
    bot = _submission(submission_id="sub-bot", _hp="http://spam.example", _rendered_at=time.time())
    body = json.dumps(bot).encode()
    assert _post(server, body, sign(SECRET.encode(), body)).status_code == 201
    with engine_for(form_env).connect() as conn:
        signals = conn.execute(select(form_inbox.c.signals)).scalar_one()
    assert signals["honeypot_filled"] is True and signals["too_fast"] is True and signals["spam_suspected"] is True


@pytest.mark.parametrize(
    ("case", "status"),
    [("bad signature", 401), ("no signature", 401), ("unknown form", 401), ("oversized body", 413),
     ("malformed json", 400), ("json list", 422)],
)
def test_bad_posts_are_refused_and_stored_nowhere(server: str, form_env: str, case: str, status: int) -> None:
    good = json.dumps(_submission()).encode()
    body, signature, form = good, sign(SECRET.encode(), good), "contact"
    if case == "bad signature":
        signature = sign(b"wrong-secret", good)
    elif case == "no signature":
        signature = None
    elif case == "unknown form":
        form = "other"
    elif case == "oversized body":
        body = json.dumps(_submission(message="x" * 5000)).encode()
        signature = sign(SECRET.encode(), body)
    elif case == "malformed json":
        body = b'{"email": "jane@acme.de",'
        signature = sign(SECRET.encode(), body)
    elif case == "json list":
        body = b'[{"email": "jane@acme.de"}]'
        signature = sign(SECRET.encode(), body)
    response = _post(server, body, signature, form)
    assert response.status_code == status, response.text
    assert _inbox_rows(form_env) == 0


def test_inbox_is_read_nightly_as_a_source_once(server: str, form_env: str, home: Path) -> None:
    from leadpipe.pipeline import stages
    from leadpipe.pipeline.settings import load_config

    for i in range(3):
        body = json.dumps(_submission(submission_id=f"s{i}", email=f"p{i}@acme.de")).encode()
        assert _post(server, body, sign(SECRET.encode(), body)).status_code == 201
    (home / "leadpipe.yaml").write_text(yaml.safe_dump({"sources": [{"name": "web_inbox", "type": "forms"}]}))
    cfg = load_config(home / "leadpipe.yaml")
    stages.start(stages.RunContext(cfg, "n1"))
    df = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "n1"), "web_inbox"))
    assert sorted(df["email"]) == ["p0@acme.de", "p1@acme.de", "p2@acme.de"]
    assert set(df["full_name"]) == {"Jane Doe"} and set(df["source_kind"]) == {"form"}
    assert set(df["email_consent"]) == {"yes"}
    stages.start(stages.RunContext(cfg, "n2"))
    assert stages.ingest_source(stages.RunContext(cfg, "n2"), "web_inbox") is None
    body = json.dumps(_submission(submission_id="s9", email="late@acme.de")).encode()
    assert _post(server, body, sign(SECRET.encode(), body)).status_code == 201
    stages.start(stages.RunContext(cfg, "n3"))
    assert list(pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "n3"), "web_inbox"))["email"]) == ["late@acme.de"]


@pytest.mark.slow
def test_airflow_api_server_serves_the_webhook_plugin(form_env: str, airflow_db: None, tmp_path: Path) -> None:
    """Airflow's own API server, two workers, a fresh warehouse: Airflow runs the app's lifespan in each worker
    (the warehouse is migrated at start-up under the lock), and a concurrent burst is stored once."""
    from concurrent.futures import ThreadPoolExecutor

    port = _free_port()
    env = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"), "AIRFLOW__API__PORT": str(port),
           "PYTHONPATH": str(REPO)}
    log = (tmp_path / "api.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--port", str(port), "--apps", "core",
                             "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/leadpipe-forms"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "api.log").read_text()[-3000:]
            time.sleep(0.5)
        body = json.dumps(_submission()).encode()
        assert _post(base, body, sign(b"nope", body)).status_code == 401
        bodies = [json.dumps(_submission(submission_id=f"af-{i % 30}")).encode() for i in range(40)]  # 10 replays
        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda b: _post(base, b, sign(SECRET.encode(), b)).status_code, bodies))
        assert sorted(codes) == [200] * 10 + [201] * 30, (tmp_path / "api.log").read_text()[-3000:]
        assert _inbox_rows(form_env) == 30
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
