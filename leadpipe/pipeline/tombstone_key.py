"""The secret key erasure tombstones are made with: from the environment, Airflow, or a local dev file.

A tombstone is an HMAC of a normalised email or phone (`enrichment.suppress.tombstone_hash`). Without the key,
whoever holds `suppression_entries` cannot test a list of addresses against it, as they could with a plain
hash. Every process that writes or checks tombstones (ingest, the form webhook, qualify, `forget`) must use the
SAME key, so it is looked up in this order:

1. the environment variable `LEADPIPE_TOMBSTONE_KEY`;
2. the Airflow Connection `leadpipe_tombstone_key` (its password field), read like the CRM credentials;
3. for local development only: `{home}/secrets/tombstone.key`, 32 random bytes (hex) written on first use with
   permissions 0600. Never in git, the config or a log.

Changing the key makes every existing tombstone unrecognisable (hashes are one-way): keep it as long as the
warehouse lives. Enrichment stays pure: this module reads the key, callers hand it to the hash functions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from connectors.sinks.credentials import connection
from enrichment.suppress import configure_tombstone_key
from leadpipe.pipeline.settings import leadpipe_home

ENV_VAR = "LEADPIPE_TOMBSTONE_KEY"
CONN_ID = "leadpipe_tombstone_key"
KEY_FILE = Path("secrets") / "tombstone.key"
MIN_KEY_CHARS = 16


class TombstoneKeyError(ValueError):
    """The configured key cannot be used (too short, or the dev key file is unreadable)."""


def tombstone_key(home: Path | None = None) -> bytes:
    """The tombstone key: environment, then Airflow Connection, then the dev key file under `home`.

    `home` defaults to LEADPIPE_HOME (`leadpipe_home()`), which every leadpipe process resolves the same way.
    """
    if os.environ.get(ENV_VAR):
        return _checked(os.environ[ENV_VAR].strip(), ENV_VAR)
    stored = connection(CONN_ID).get("password")
    if stored:
        return _checked(str(stored).strip(), f"the Airflow Connection {CONN_ID}")
    home = leadpipe_home() if home is None else home
    return _checked(_dev_key(Path(home) / KEY_FILE), str(Path(home) / KEY_FILE))


def configure(home: Path | None = None) -> bytes:
    """Load the key and make it the default of `tombstone_hash(kind, value)` in this process; returns it."""
    key = tombstone_key(home)
    configure_tombstone_key(key)
    return key


def _checked(text: str, where: str) -> bytes:
    if len(text) < MIN_KEY_CHARS:
        raise TombstoneKeyError(f"the tombstone key in {where} is shorter than {MIN_KEY_CHARS} characters; "
                                f"use a long random value, e.g. `python -c 'import secrets; "
                                f"print(secrets.token_hex(32))'`")
    return text.encode()


def _dev_key(path: Path) -> str:
    """The local key file, created once (0600, exclusive create so two processes cannot write two keys)."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it between our read and our create
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip()
