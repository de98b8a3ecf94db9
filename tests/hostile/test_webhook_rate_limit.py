"""A flood of signed posts to one form is cut at its rate limit with 429 and Retry-After; other forms go on.

Per worker process by default; with LEADPIPE_FORM_RATE_LIMIT_STORAGE=redis://... one count is shared by all
workers (two apps in one test stand for two API-server workers: each has its own in-memory limiter).
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.webhook_server import form_env, inbox_count, post, serve_in_thread, webhook_on

REDIS_URL = os.environ.get("LEADPIPE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _body(i: int, form: str = "contact") -> bytes:
    return json.dumps({"submission_id": f"{form}-{i}", "email": f"p{i}@acme.de"}).encode()


def test_posts_over_the_limit_get_429_with_retry_after(tmp_path: Path) -> None:
    with webhook_on("sqlite", tmp_path, forms=("contact", "demo"), RATE_LIMIT="3/minute") as (base, url):
        assert [post(base, _body(i)).status_code for i in range(3)] == [201, 201, 201]
        refused = post(base, _body(3))
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited" and "3 per 1 minute" in refused.json()["reason"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert inbox_count(url) == 3
        # another form has its own allowance
        assert post(base, _body(0, "demo"), form="demo").status_code == 201
        # posts without the secret do not use up the form's allowance (they are refused before counting)
        assert post(base, _body(9, "demo"), secret="wrong", form="demo").status_code == 401
        assert [post(base, _body(i, "demo"), form="demo").status_code for i in (1, 2)] == [201, 201]


def test_a_replay_over_the_limit_is_refused_too_and_stored_once(tmp_path: Path) -> None:
    with webhook_on("sqlite", tmp_path, RATE_LIMIT="2/minute") as (base, url):
        assert post(base, _body(1)).status_code == 201
        assert post(base, _body(1)).status_code == 200
        assert post(base, _body(1)).status_code == 429
        assert inbox_count(url) == 1


@pytest.mark.parametrize(("setting", "value"), [("RATE_LIMIT", "lots"), ("RATE_LIMIT_STORAGE", "carrier-pigeon://x"),
                                                 ("MAX_BYTES", "64k")])
def test_an_unusable_setting_gets_503_and_a_log_line_naming_it(tmp_path: Path, setting: str, value: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with webhook_on("sqlite", tmp_path, **{setting: value}) as (base, _):
        response = post(base, _body(1))
        assert response.status_code == 503 and response.headers["Retry-After"]
    assert any(f"LEADPIPE_FORM_{setting}" in r.getMessage() for r in caplog.records)


def _redis_db() -> str:
    import redis

    from tests.conftest import require_service

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        require_service("Redis", str(exc).splitlines()[0])
    return REDIS_URL


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_with_redis_the_count_is_shared_by_all_workers(tmp_path: Path, storage: str) -> None:
    import uuid

    settings = {"RATE_LIMIT": "4/minute"}
    if storage == "redis":
        settings["RATE_LIMIT_STORAGE"] = _redis_db()
    form = f"f{uuid.uuid4().hex[:12]}"  # a form no earlier run has counted in Redis
    with pytest.MonkeyPatch.context() as mp, ExitStack() as stack:
        for k, v in form_env(f"sqlite:///{tmp_path / 'warehouse.db'}", (form,), **settings).items():
            mp.setenv(k, v)
        workers = [stack.enter_context(serve_in_thread()) for _ in range(2)]
        codes = [post(workers[i % 2], _body(i, form), form=form).status_code for i in range(6)]
    if storage == "redis":
        assert codes == [201, 201, 201, 201, 429, 429]  # 4 in all
    else:
        assert codes == [201] * 6  # 4 per worker: documented as "counted per worker process"


def test_when_redis_is_down_posts_are_let_through(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.webhook_server import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    with webhook_on("sqlite", tmp_path, RATE_LIMIT="1/minute", RATE_LIMIT_STORAGE=dead) as (base, url):
        assert [post(base, _body(i)).status_code for i in range(3)] == [201, 201, 201]
        assert inbox_count(url) == 3
    assert any("rate limit storage unavailable" in r.getMessage() for r in caplog.records)
