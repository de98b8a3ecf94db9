"""Salesforce login (OAuth 2.0 JWT bearer or client credentials) and an HTTP session that renews and retries.

Credentials come from the Airflow Connection named in `sink.salesforce.connection_id` (or its
AIRFLOW_CONN_<ID> environment form): host = the org's My Domain URL, login = the connected app's consumer
key, and either password = consumer secret (client credentials) or extra.username + a private key (JWT
bearer; the key in extra.private_key, or in the LEADPIPE_SALESFORCE_PRIVATE_KEY environment variable).
The JWT is signed here with PyJWT (RS256), with the claims Salesforce's "OAuth 2.0 JWT Bearer Flow for
Server-to-Server Integration" names: iss = consumer key, sub = username, aud = login/test host (or
extra.audience), exp = now + 3 minutes. simple-salesforce builds the same token but only against
https://<domain>.salesforce.com, so it cannot log in to a My Domain host given as a URL.

`SalesforceSession` is the requests.Session simple-salesforce is handed: every request it sends (REST,
collections, Bulk 2.0) carries the current access token; a 401 INVALID_SESSION_ID renews the token once
per request and sends again; 5xx, 429 and UNABLE_TO_LOCK_ROW answers are retried by the shared policy.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt
import requests

from connectors.sinks.base import SinkAuthError
from connectors.sinks.credentials import connection
from leadpipe.core.retry import GIVE_UP, RetryPolicy, Verdict, classify_status

log = logging.getLogger(__name__)

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KEY_ENV = "LEADPIPE_SALESFORCE_PRIVATE_KEY"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True, repr=False)
class OAuthConfig:
    """What a login needs; repr hides the secrets so a logged config leaks nothing."""

    conn_id: str
    token_host: str
    consumer_key: str
    consumer_secret: str | None = None
    username: str | None = None
    private_key: str | None = None
    audience: str = "https://login.salesforce.com"
    ca_bundle: str | None = None

    @property
    def flow(self) -> str:
        return "jwt" if self.private_key else "client_credentials"

    def __repr__(self) -> str:
        return f"OAuthConfig(conn_id={self.conn_id!r}, token_host={self.token_host!r}, flow={self.flow!r})"


def oauth_config(conn_id: str) -> OAuthConfig:
    """Read the Connection; a missing piece is a ValueError naming the Connection field to fill in."""
    conn = connection(conn_id)
    extra = conn.get("extra") or {}
    host, key = conn.get("host") or "", conn.get("login") or ""
    private_key = extra.get("private_key") or os.environ.get(KEY_ENV) or None
    if not host or not key:
        raise ValueError(f"Salesforce needs the Airflow Connection '{conn_id}' with host (the org's My Domain "
                         "URL, e.g. https://acme.my.salesforce.com) and login (the connected app's consumer key)")
    if not private_key and not conn.get("password"):
        raise ValueError(f"the Airflow Connection '{conn_id}' has no way to log in: put the consumer secret in "
                         f"its password (client credentials), or a private key in extra.private_key or {KEY_ENV} "
                         "plus extra.username (JWT bearer)")
    if private_key and not extra.get("username"):
        raise ValueError(f"JWT bearer login needs extra.username in the Airflow Connection '{conn_id}': the "
                         "Salesforce user the integration runs as")
    if not host.startswith(("https://", "http://")):
        host = f"https://{host}"
    default_aud = "https://test.salesforce.com" if ".sandbox." in urlsplit(host).netloc else \
        "https://login.salesforce.com"
    return OAuthConfig(conn_id=conn_id, token_host=host.rstrip("/"), consumer_key=key,
                       consumer_secret=conn.get("password") or None, username=extra.get("username"),
                       private_key=private_key, audience=extra.get("audience") or default_aud,
                       ca_bundle=extra.get("ca_bundle"))


def jwt_assertion(cfg: OAuthConfig, lifetime: int = 180) -> str:
    """The signed JWT Salesforce trades for an access token (RS256, valid `lifetime` seconds)."""
    claims = {"iss": cfg.consumer_key, "sub": cfg.username, "aud": cfg.audience, "exp": int(time.time()) + lifetime}
    try:
        return jwt.encode(claims, cfg.private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise SinkAuthError(f"the private key for Salesforce (Connection '{cfg.conn_id}' extra.private_key or "
                            f"{KEY_ENV}) is not a readable RSA private key in PEM form") from None


# error_description -> what the admin should do (Salesforce's own words, as its token endpoint answers)
_ADVICE = {
    "invalid assertion": "the JWT signature does not match the certificate uploaded to the connected app: upload "
                         "the certificate made from this private key, or put the matching key in the Connection",
    "audience is invalid": "set extra.audience in the Connection to https://login.salesforce.com (production), "
                           "https://test.salesforce.com (sandbox) or the My Domain URL the app expects",
    "user hasn't approved this consumer": "pre-authorize the integration user for the connected app (Manage > "
                                          "Permitted Users: admin approved users are pre-authorized, then add "
                                          "the user's profile or permission set)",
    "client identifier invalid": "the consumer key in the Connection's login is not this org's connected app",
    "expired assertion": "the JWT had expired when Salesforce read it: check this machine's clock",
}


def _token_error(cfg: OAuthConfig, resp: requests.Response) -> SinkAuthError:
    try:
        err = resp.json()
    except ValueError:
        err = {}
    code, desc = str(err.get("error", "")), str(err.get("error_description", ""))
    what = "JWT bearer" if cfg.flow == "jwt" else "client credentials"
    advice = _ADVICE.get(desc) or ("check the consumer key and secret in the Connection's login and password"
                                   if cfg.flow == "client_credentials" else "check the Connection's consumer key, "
                                   "extra.username and private key")
    return SinkAuthError(f"Salesforce refused the {what} login ({resp.status_code} {code}: {desc}) for Connection "
                         f"'{cfg.conn_id}': {advice}")


def classify_salesforce(method: str) -> Callable[[object], Verdict]:
    """Salesforce's transient answers: 5xx/429 (not 500-504 on POST, which may have been applied), a dropped
    connection on an idempotent method, and UNABLE_TO_LOCK_ROW at request level (the row lock was not taken,
    nothing was written)."""
    method = method.upper()

    def classify(outcome: object) -> Verdict:
        if isinstance(outcome, (requests.ConnectionError, requests.Timeout)):
            return Verdict(method in IDEMPOTENT, f"connection failed ({type(outcome).__name__})")
        if not isinstance(outcome, requests.Response):
            return GIVE_UP
        if outcome.status_code in (400, 409, 500) and "UNABLE_TO_LOCK_ROW" in outcome.text[:2000]:
            return Verdict(True, "UNABLE_TO_LOCK_ROW")
        verdict = classify_status(outcome.status_code, outcome.headers)
        if verdict.retry and method not in IDEMPOTENT and outcome.status_code not in (429, 503):
            return GIVE_UP  # a POST answered 500/502/504 may have been applied: never send it twice
        return verdict

    return classify


def _error_code(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    first = body[0] if isinstance(body, list) and body else body
    return str(first.get("errorCode", "")) if isinstance(first, dict) else ""


class SalesforceSession(requests.Session):
    """requests.Session that logs in, keeps the access token current, renews it and retries transient answers."""

    def __init__(self, cfg: OAuthConfig, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__()
        self.cfg, self.policy, self._sleep = cfg, policy or RetryPolicy(), sleep
        if cfg.ca_bundle:
            # a private CA (test emulator, TLS-inspecting proxy): requests lets REQUESTS_CA_BUNDLE override
            # session.verify unless the environment is ignored
            self.verify = cfg.ca_bundle
            self.trust_env = False
        self.token = ""
        self.instance_url = ""
        self.logins = 0
        self.on_renew: Callable[[str], None] | None = None

    def login(self) -> tuple[str, str]:
        """Get a fresh access token -> (token, instance url); SinkAuthError with what to fix when refused."""
        cfg = self.cfg
        if cfg.flow == "jwt":
            data, auth = {"grant_type": JWT_GRANT, "assertion": jwt_assertion(cfg)}, None
        else:
            data, auth = {"grant_type": "client_credentials"}, (cfg.consumer_key, cfg.consumer_secret or "")
        url = f"{cfg.token_host}/services/oauth2/token"
        resp = self.policy.run(lambda: super(SalesforceSession, self).request("POST", url, data=data, auth=auth,
                                                                                timeout=30),
                               classify_salesforce("PUT"),  # a token request is safe to repeat
                               what="Salesforce login", sleep=self._sleep)
        if resp.status_code != 200:
            raise _token_error(cfg, resp)
        body = resp.json()
        self.token, self.instance_url = body["access_token"], body["instance_url"]
        self.logins += 1
        return self.token, self.instance_url

    def request(self, method: str | bytes, url: str | bytes, *args, **kwargs) -> requests.Response:  # type: ignore[override]
        verb = method.decode() if isinstance(method, bytes) else str(method)
        headers = dict(kwargs.pop("headers", None) or {})
        bearer = str(headers.get("Authorization", "")).startswith("Bearer ")
        renewed = False

        def send() -> requests.Response:
            nonlocal renewed
            if bearer:
                headers["Authorization"] = f"Bearer {self.token}"
            resp = super(SalesforceSession, self).request(verb, url, *args, headers=headers, **kwargs)
            if bearer and not renewed and resp.status_code == 401 and _error_code(resp) == "INVALID_SESSION_ID":
                renewed = True  # once per request: a second 401 is a real refusal, not an expiry
                log.info("Salesforce session expired; logging in again")
                self.login()
                if self.on_renew:
                    self.on_renew(self.token)
                headers["Authorization"] = f"Bearer {self.token}"
                resp = super(SalesforceSession, self).request(verb, url, *args, headers=headers, **kwargs)
            return resp

        path = urlsplit(url.decode() if isinstance(url, bytes) else str(url)).path
        return self.policy.run(send, classify_salesforce(verb), what=f"Salesforce {verb} {path}", sleep=self._sleep)


__all__ = ["KEY_ENV", "OAuthConfig", "SalesforceSession", "classify_salesforce", "jwt_assertion", "oauth_config"]
