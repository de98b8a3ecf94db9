"""A warehouse URL SQLAlchemy cannot use, or a server it cannot reach, ends a command with what to change:
never a traceback, never the password (a configuration mistake, like a typo in a source path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpipe.cli.app import main

CASES = [
    # the Heroku/libpq spelling SQLAlchemy 2 no longer accepts
    ("postgres://lead:s3cret-pw@127.0.0.1/warehouse", "is not one leadpipe can use", "postgresql://"),
    # nothing listens on port 1 of this machine
    ("postgresql://lead:s3cret-pw@127.0.0.1:1/warehouse", "cannot reach the warehouse", "Connection refused"),
]


@pytest.mark.parametrize(("url", "said", "detail"), CASES)
def test_an_unusable_warehouse_url_is_a_plain_error(url: str, said: str, detail: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_HOME", str(tmp_path))
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", url)
    result = CliRunner().invoke(main, ["explain", "someone@example.com"])
    assert result.exit_code == 1, result.output
    assert said in result.output and detail in result.output
    assert "LEADPIPE_WAREHOUSE_URL" in result.output  # where to change it
    assert "Traceback" not in result.output and "s3cret-pw" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
