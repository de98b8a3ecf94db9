"""Start and stop a real `airflow standalone` for browser tests: own AIRFLOW_HOME, free port, local auth."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (e.g. to the login page) is an answer to check, not one to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


def _json(raw: bytes) -> dict:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"text": raw.decode("utf-8", "replace")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AirflowServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    token: str | None = None  # the admin's JWT when users log in (else everyone is admin)

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        return self.request(method, f"/api/v2{path}", body, token=self.token)

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict]:
        """Any request to the server, as the holder of ``token`` (None: anonymous); JSON answers decoded."""
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(f"{self.url}{path}", method=method, headers=hdrs,
                                     data=json.dumps(body).encode() if body is not None else None)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=10) as resp:
                return resp.status, _json(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())

    def login(self, username: str, password: str) -> str:
        """A JWT from Airflow's auth manager, as `POST /auth/token` hands it out."""
        status, body = self.request("POST", "/auth/token", {"username": username, "password": password})
        assert status in (200, 201), (status, body)
        return body["access_token"]

    def wait_for(self, what: str, check, timeout: float) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited ({self.process.returncode}); log: {self.log_path}")
            try:
                result = check()
            except (OSError, urllib.error.URLError):
                result = None
            if result:
                return result
            time.sleep(1)
        raise TimeoutError(f"{what} not ready after {timeout:.0f} s; log: {self.log_path}")

    def stop(self) -> None:
        """SIGINT to the process group we created: standalone stops its scheduler, API server and friends."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _sigint_default() -> None:
    """A test run started in the background ignores SIGINT, and children inherit that: standalone must not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_airflow(airflow_home: Path, env_extra: dict[str, str],
                  users: dict[str, tuple[str, str]] | None = None) -> AirflowServer:
    """Start standalone; with ``users`` ({name: (role, password)}; role "" = may read nothing) people log in
    through the simple auth manager and the first user's token is used for `api()`, else everyone is admin."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    airflow_home.mkdir(parents=True, exist_ok=True)
    auth = {"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    if users:
        passwords = airflow_home / "simple_auth_manager_passwords.json"
        passwords.write_text(json.dumps({u: pw for u, (_, pw) in users.items()}), encoding="utf-8")
        auth = {"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, (r, _) in users.items()),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords)}
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",  # standalone spawns `airflow ...` subprocesses
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),  # also without `make` (the reports, the webhook)
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        **auth,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        **env_extra,
    }
    log_path = airflow_home / "standalone.log"
    log = log_path.open("w")
    proc = subprocess.Popen([str(BIN / "airflow"), "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_sigint_default)  # noqa: PLW1509 - before any thread
    server = AirflowServer(url, proc, log_path)
    try:
        server.wait_for("Airflow API", lambda: server.api("GET", "/version")[0] == 200, timeout=420)
        # the CRM pools the push and rebuild write tasks queue in, as `make airflow` creates them
        subprocess.run([sys.executable, "-m", "leadpipe.airflow_app.pools"], env=env, check=True,
                       capture_output=True, timeout=120)
        if users:
            name, (_, password) = next(iter(users.items()))
            server.token = server.login(name, password)
    except Exception:
        server.stop()
        raise
    return server
