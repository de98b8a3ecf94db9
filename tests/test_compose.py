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
import subprocess
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|API_KEY|^AIRFLOW_CONN_", re.IGNORECASE)
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
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env[
            "AIRFLOW__CELERY__BROKER_URL"], name
        assert "@postgres/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
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
