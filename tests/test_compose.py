"""The production docker-compose.yml, checked without a Docker engine.

Validated against the Compose Specification's JSON schema as vendored in the `check-jsonschema` package
(PyPI; check_jsonschema/builtin_schemas/vendor/compose-spec.json, from SchemaStore / compose-spec, license
in the same folder), so no network is needed at test time. Then the rules the schema cannot express:
secrets only from the environment, UI on 127.0.0.1, workers scalable, one JWT secret for all, and an image
built on the Airflow version that uv.lock pins.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|API_KEY|TOMBSTONE_KEY|BASIC_AUTH|^AIRFLOW_CONN_",
                         re.IGNORECASE)
ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init")


def compose_schema() -> dict:
    ref = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def validate(doc: dict) -> list[str]:
    schema = compose_schema()
    cls = jsonschema.validators.validator_for(schema)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in cls(schema).iter_errors(doc))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # safe_load resolves the `<<:` merge keys


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def test_compose_file_validates_against_the_compose_specification(compose: dict) -> None:
    assert compose_schema()["title"] == "Compose Specification"
    assert validate(compose) == []


def test_the_schema_check_rejects_a_broken_file(compose: dict) -> None:
    """Guards the test above: the validator really applies the schema."""
    broken = copy.deepcopy(compose)
    broken["services"]["airflow-worker"]["depends_on"]["redis"]["condition"] = "eventually"
    broken["services"]["redis"]["restrat"] = "always"
    errors = validate(broken)
    assert any("restrat" in e for e in errors), errors
    assert any("eventually" in e for e in errors), errors


def test_the_official_topology_is_there(compose: dict) -> None:
    services = compose["services"]
    assert set(AIRFLOW_SERVICES) | {"postgres", "redis"} <= set(services)
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    assert commands["airflow-worker"] == "celery worker"
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        if "AIRFLOW__CELERY__BROKER_URL" in env:  # who gets which credentials: test_each_service_gets_only_...
            assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env[
                "AIRFLOW__CELERY__BROKER_URL"], name
        if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in env:
            assert "@postgres/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        if "LEADPIPE_WAREHOUSE_URL" in env:
            assert env["LEADPIPE_WAREHOUSE_URL"].startswith("postgresql") and "@postgres/leadpipe" in env[
                "LEADPIPE_WAREHOUSE_URL"], name
        assert services[name].get("build", {}).get("context") == ".", f"{name} must run the project image"
    assert env_of(services["airflow-init"])["_AIRFLOW_DB_MIGRATE"] == "true"


def test_workers_can_be_scaled(compose: dict) -> None:
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker  # a fixed name would make --scale fail
    assert "ports" not in worker  # so would a fixed host port


def test_all_airflow_services_share_one_jwt_secret_and_fernet_key(compose: dict) -> None:
    """Without the same JWT secret, workers fail with "Signature verification failed"."""
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        values = {env_of(compose["services"][name]).get(key) for name in AIRFLOW_SERVICES}
        assert len(values) == 1 and None not in values, (key, values)
        (value,) = values
        assert ENV_REF.fullmatch(value) and ":?" in value, f"{key} must be a required variable from .env: {value}"


def _secret_values(compose: dict) -> list[tuple[str, str, str]]:
    found = []
    for name, service in compose["services"].items():
        for key, value in env_of(service).items():
            if SECRET_NAME.search(key) or re.search(r"://[^/\s]*:[^@/\s]*@", value):
                found.append((name, key, value))
    return found


def test_secrets_come_only_from_the_environment(compose: dict) -> None:
    secrets = _secret_values(compose)
    assert len(secrets) >= 10  # the rule below must have something to bite on
    for name, key, value in secrets:
        if key.endswith("_PASSWORDS_FILE"):
            continue  # a path, not a secret
        # a URL may carry a user name, but its password part must be a variable
        for m in re.finditer(r"://([^:/@\s]*):([^@]*)@", value):
            assert ENV_REF.fullmatch(m.group(2)), f"{name}.{key}: password in a URL is not from .env"
        if "://" not in value:
            refs = ENV_REF.findall(value)
            assert refs, f"{name}.{key} is not taken from the environment: {value!r}"
            for var, op, default in refs:
                assert not (op.endswith("-") and default), f"{name}.{key} has a built-in default secret"


def test_every_required_variable_is_documented_in_env_example_without_a_value() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    required = {m.group(1) for m in ENV_REF.finditer(text) if m.group(2) == ":?"}
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
            "WAREHOUSE_PASSWORD", "AIRFLOW_ADMIN_PASSWORD"} <= required
    example = dict(
        line.split("=", 1) for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert required <= set(example), sorted(required - set(example))
    for var, value in example.items():
        if SECRET_NAME.search(var):
            assert value == "", f".env.example must not ship a value for {var}"


def test_the_env_file_is_never_committed_nor_baked_into_the_image() -> None:
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=REPO, capture_output=True, text=True, check=True)
    assert tracked.stdout.strip() == ""


def test_ui_and_every_published_port_bind_to_localhost_only(compose: dict) -> None:
    published = [(name, p) for name, s in compose["services"].items() for p in s.get("ports", [])]
    assert any(name == "airflow-apiserver" for name, _ in published)
    for name, port in published:
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
        assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"


def test_image_is_built_from_the_airflow_version_the_lock_pins() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:(\S+)-python(\S+)$", dockerfile, re.MULTILINE)
    assert base, "Dockerfile must build on apache/airflow:<version>-python<x.y>"
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"]: p["version"] for p in lock["package"]}
    assert base.group(1) == locked["apache-airflow"]
    assert base.group(2) == "3.11"
    assert "uv export --frozen" in dockerfile and "--require-hashes" in dockerfile
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    assert not any("_PIP_ADDITIONAL_REQUIREMENTS" in env_of(s) for s in services.values())


def test_the_image_carries_every_package_dags_and_plugins() -> None:
    """A package added to the wheel, or a plugins folder, that the Dockerfile forgets breaks only in production."""
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = set(re.findall(r"^COPY --chown=\S+ (\S+) ", dockerfile, re.M))
    wanted = set(packages) | {"dags", "config"} | ({"plugins"} if (REPO / "plugins").is_dir() else set())
    assert wanted <= copied, sorted(wanted - copied)


def test_the_locked_requirements_export_offline_with_runtime_deps_only() -> None:
    """The same `uv export` the Dockerfile runs: offline, pinned, hashed, no test tools."""
    uv = REPO / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is installed by `make install`")
    out = subprocess.run([str(uv), "export", "--frozen", "--no-dev", "--no-emit-project", "--format",
                          "requirements-txt"], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "UV_OFFLINE": "1"}, check=False)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^apache-airflow==3\.3\.2 ", out.stdout, re.MULTILINE)
    assert re.search(r"^great-expectations==1\.24\.1 ", out.stdout, re.MULTILINE)
    assert "--hash=sha256:" in out.stdout
    assert not re.search(r"^pytest==", out.stdout, re.MULTILINE)


# ---------------------------------------------------------------- least privilege (issue #17)

# What each service uses, and so the only credentials it may hold. Airflow 3 tasks reach Airflow through the
# Execution API, so workers need no metadata DB; only tasks and the form webhook touch the warehouse.
USES = {
    "airflow-apiserver": {"metadata-db", "warehouse", "erasure-key"},  # UI, APIs, the form webhook
    "airflow-scheduler": {"metadata-db", "celery"},
    "airflow-dag-processor": {"metadata-db"},
    "airflow-triggerer": {"metadata-db"},
    "airflow-worker": {"celery", "warehouse", "erasure-key", "task-connections"},
    "airflow-init": {"metadata-db", "warehouse"},  # migrates both
    "airflow-cli": {"metadata-db", "warehouse", "erasure-key", "task-connections"},  # admin: leadpipe forget
    "flower": {"celery", "flower-login"},
    "postgres": {"superuser", "role-passwords"},
    "redis": {"broker-password"},
}
CREDENTIALS = {  # what marks a credential in a service's environment
    "metadata-db": lambda k, v: k == "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" or "AIRFLOW_DB_PASSWORD}" in v,
    "celery": lambda k, v: k.startswith("AIRFLOW__CELERY__") and k.endswith(("BROKER_URL", "RESULT_BACKEND")),
    "warehouse": lambda k, v: k == "LEADPIPE_WAREHOUSE_URL",
    "erasure-key": lambda k, v: k == "LEADPIPE_TOMBSTONE_KEY",
    "task-connections": lambda k, v: k.startswith("AIRFLOW_CONN_"),
    "flower-login": lambda k, v: k == "AIRFLOW__CELERY__FLOWER_BASIC_AUTH",
    "superuser": lambda k, v: "{POSTGRES_PASSWORD" in v,
    "role-passwords": lambda k, v: k in ("AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD", "CELERY_DB_PASSWORD"),
    "broker-password": lambda k, v: k == "REDIS_PASSWORD",
}
ROLES = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": ("airflow", "airflow", "AIRFLOW_DB_PASSWORD"),
         "LEADPIPE_WAREHOUSE_URL": ("leadpipe", "leadpipe", "WAREHOUSE_PASSWORD"),
         "AIRFLOW__CELERY__RESULT_BACKEND": ("celery", "celery_results", "CELERY_DB_PASSWORD")}
DB_URL = re.compile(r"^(?:db\+)?postgresql(?:\+psycopg2)?://(\w+):\$\{(\w+):\?[^}]*\}@postgres/(\w+)$")
INIT_SH = REPO / "deploy" / "postgres" / "10-leadpipe-roles.sh"
ROLE_SQL = REPO / "deploy" / "postgres" / "owned-database.sql"


def test_each_service_gets_only_the_credentials_it_uses(compose: dict) -> None:
    held = {name: {kind for kind, marks in CREDENTIALS.items() for k, v in env_of(service).items() if marks(k, v)}
            for name, service in compose["services"].items()}
    assert held == USES


def test_every_database_has_its_own_non_superuser_role(compose: dict) -> None:
    postgres = env_of(compose["services"]["postgres"])
    assert postgres["POSTGRES_USER"] == "postgres"  # the superuser, known only inside the postgres container
    seen: dict[str, set[tuple[str, str, str]]] = {key: set() for key in ROLES}
    for service in compose["services"].values():
        for key, value in env_of(service).items():
            if key in ROLES:
                m = DB_URL.match(value)
                assert m, f"{key}: {value}"
                seen[key].add((m.group(1), m.group(3), m.group(2)))
    assert seen == {key: {want} for key, want in ROLES.items()}  # one role, database and password each
    for role, db, password in ROLES.values():
        assert role != postgres["POSTGRES_USER"] and password != "POSTGRES_PASSWORD"
        assert ENV_REF.fullmatch(postgres[password]), f"the postgres service needs {password} for its init script"


def test_the_init_script_makes_exactly_those_roles_and_is_mounted(compose: dict) -> None:
    specs = set(re.findall(r"\b(\w+):(\w+):([A-Z_]+)\b", INIT_SH.read_text(encoding="utf-8")))
    assert specs == set(ROLES.values())
    assert os.access(INIT_SH, os.X_OK)  # the postgres entrypoint runs executable scripts in their own shell
    mounts = compose["services"]["postgres"]["volumes"]
    assert "./deploy/postgres/10-leadpipe-roles.sh:/docker-entrypoint-initdb.d/10-leadpipe-roles.sh:ro" in mounts
    assert "./deploy/postgres/owned-database.sql:/leadpipe-initdb/owned-database.sql:ro" in mounts
    assert "/leadpipe-initdb/owned-database.sql" in INIT_SH.read_text(encoding="utf-8")


def _psql(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    u = make_url(url)
    return subprocess.run(["psql", "-X", "-q", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U",
                           u.username or "postgres", "-d", u.database or "postgres", "-v", "ON_ERROR_STOP=1",
                           *args], env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.postgres
def test_the_role_script_gives_a_role_its_database_and_nothing_more(pg_server: str) -> None:
    """Runs deploy/postgres/owned-database.sql on the real server (psql, as the init script does) for two roles."""
    if shutil.which("psql") is None:
        pytest.fail("psql (the PostgreSQL client) is needed to run the init script")
    tag = uuid.uuid4().hex[:8]
    pairs = [(f"lp_role_a_{tag}", f"lp_db_a_{tag}"), (f"lp_role_b_{tag}", f"lp_db_b_{tag}")]
    try:
        for role, db in pairs:
            for _ in range(2):  # a second run (an existing volume, run by hand) changes nothing and does not fail
                done = _psql(pg_server, "-v", f"role={role}", "-v", f"db={db}", "-v", "password_env=LP_TEST_PW",
                             "-f", str(ROLE_SQL), env={"LP_TEST_PW": f"pw-{tag}"})
                assert done.returncode == 0, done.stderr
        (a_role, a_db), (_, b_db) = pairs
        facts = _psql(pg_server, "-At", "-c", f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
                      f"rolbypassrls, rolcanlogin, pg_get_userbyid(d.datdba) FROM pg_roles r, pg_database d "
                      f"WHERE r.rolname = '{a_role}' AND d.datname = '{a_db}'")
        assert facts.stdout.strip() == f"f|f|f|f|f|t|{a_role}"
        as_a = pg_server.replace("://postgres@", f"://{a_role}@")
        own = _psql(as_a.rsplit("/", 1)[0] + f"/{a_db}", "-c", "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        assert own.returncode == 0, own.stderr  # the owner works in its own database
        other = _psql(as_a.rsplit("/", 1)[0] + f"/{b_db}", "-c", "SELECT 1")
        assert other.returncode != 0 and "permission denied for database" in other.stderr
        grab = _psql(as_a.rsplit("/", 1)[0] + f"/{a_db}", "-c", f"CREATE DATABASE lp_grab_{tag}")
        assert grab.returncode != 0 and "permission denied" in grab.stderr
        empty = _psql(pg_server, "-v", f"role={a_role}", "-v", f"db={a_db}", "-v", "password_env=LP_UNSET_PW",
                      "-f", str(ROLE_SQL))
        assert empty.returncode != 0 and "LP_UNSET_PW is empty" in empty.stderr
    finally:
        for role, db in pairs:
            _psql(pg_server, "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            _psql(pg_server, "-c", f'DROP ROLE IF EXISTS "{role}"')


def _flower_script(compose: dict) -> str:
    command = compose["services"]["flower"]["command"]
    assert command[:2] == ["bash", "-c"]
    return command[2].replace("$$", "$")  # compose's escape for a literal $


@pytest.mark.parametrize(("login", "starts"), [("", False), ("ops:correct-horse-battery", True)])
def test_flower_refuses_to_start_without_a_login(compose: dict, login: str, starts: bool) -> None:
    flower = compose["services"]["flower"]
    assert flower["profiles"] == ["flower"]  # not started by a plain `docker compose up`
    assert env_of(flower)["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"] == "${FLOWER_BASIC_AUTH:-}"
    script = _flower_script(compose)
    assert script.endswith("exec airflow celery flower")
    ran = subprocess.run(["bash", "-c", script.replace("exec airflow celery flower", "echo flower-started")],
                         env={"PATH": os.environ["PATH"], "AIRFLOW__CELERY__FLOWER_BASIC_AUTH": login},
                         capture_output=True, text=True, timeout=30, check=False)
    assert (ran.returncode == 0 and "flower-started" in ran.stdout) == starts
    if not starts:
        assert "FLOWER_BASIC_AUTH" in ran.stderr


def test_the_erasure_key_and_new_secrets_are_in_env_example(compose: dict) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    for var in ("LEADPIPE_TOMBSTONE_KEY", "AIRFLOW_DB_PASSWORD", "CELERY_DB_PASSWORD", "FLOWER_BASIC_AUTH"):
        assert re.search(rf"^{var}=$", example, re.MULTILINE), var
    for name in ("airflow-apiserver", "airflow-worker", "airflow-cli"):
        assert env_of(compose["services"][name])["LEADPIPE_TOMBSTONE_KEY"] == (
            "${LEADPIPE_TOMBSTONE_KEY:?set LEADPIPE_TOMBSTONE_KEY in .env}")


def _nginx_locations(conf: str) -> dict[str, str]:
    """`location PATH { ... }` blocks of an nginx config, nested braces included: path -> body."""
    blocks = {}
    for m in re.finditer(r"location\s+(?:=\s+)?(\S+)\s*\{", conf):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(conf[i], 0)
            i += 1
        blocks[m.group(1)] = conf[m.end():i - 1]
    return blocks


def test_the_deployment_guide_exposes_only_the_form_webhook() -> None:
    """docs/deployment.md's reverse-proxy example: the only location passed to Airflow is /leadpipe-forms/."""
    doc = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    nginx = re.search(r"```nginx\n(.*?)```", doc, re.DOTALL)
    assert nginx, "docs/deployment.md needs an nginx example"
    conf = nginx.group(1)
    blocks = _nginx_locations(conf)
    proxied = sorted(path for path, body in blocks.items() if "proxy_pass" in body)
    assert proxied == ["/leadpipe-forms/"]
    assert re.search(r"proxy_pass\s+http://127\.0\.0\.1:8080/leadpipe-forms/;", blocks["/leadpipe-forms/"])
    assert re.search(r"return\s+404", blocks["/"])  # everything else, the UI and the APIs included, is refused
    assert "limit_except POST" in blocks["/leadpipe-forms/"] and "client_max_body_size" in conf
    assert "ssl_certificate" in conf and "listen 443 ssl" in conf


def test_docker_compose_config_accepts_the_file_when_docker_is_installed(tmp_path: Path) -> None:
    """`docker compose config` with every required variable set; the Compose CLI is optional on a dev box."""
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False) \
        if shutil.which("docker") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed; the schema test above covers the file")
    text = COMPOSE.read_text(encoding="utf-8")
    required = {m.group(1) for m in ENV_REF.finditer(text) if m.group(2) == ":?"}
    env = {**os.environ, **{var: "x" * 20 for var in required}}
    done = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "--profile", "flower", "--profile", "debug",
                           "config", "--quiet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
