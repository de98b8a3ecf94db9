"""Run reports, the list preview, downloads and Data Docs, served inside Airflow behind Airflow's own login.

Mounted by the plugin (plugins/leadpipe_forms.py) at /leadpipe-reports on Airflow's API server, and linked
from the UI's DAG run and task instance pages (a "Reports" tab) and from the approval step. Every request is
checked the way Airflow checks its own API:

1. who: the JWT the UI keeps in the `_token` cookie, or an `Authorization: Bearer` token, resolved by the
   configured auth manager (no token: a browser is sent to the login page, anything else gets 401);
2. may they: the auth manager's `is_authorized_dag(GET, RUN)` for the DAG in the address (no: 403);
3. what: the run must exist in Airflow for that DAG, and the file must be one its runs produce
   (leadpipe/pipeline/run_outputs.py); the folder comes from the run id, never from the request.

Our pages carry a Content-Security-Policy without scripts; Data Docs (Great Expectations' HTML, which shows
values from the input files) are served in a CSP sandbox, so nothing in them runs with the UI's origin.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

log = logging.getLogger("leadpipe.reports")

OUR_PAGES_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'self'")
FOREIGN_PAGES_CSP = "sandbox allow-scripts allow-popups; frame-ancestors 'self'"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {".html": "text/html; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".json": "application/json",
         ".xlsx": XLSX_TYPE, ".css": "text/css", ".js": "text/javascript", ".png": "image/png",
         ".svg": "image/svg+xml", ".ico": "image/x-icon", ".gif": "image/gif", ".jpg": "image/jpeg",
         ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".map": "application/json"}
DOWNLOADS = (".csv", ".xlsx")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


async def current_user(request: Request) -> Any:
    """The logged-in user, resolved exactly as Airflow's REST API does (bearer token first, then the cookie)."""
    # Airflow's API server modules: loaded only on the API server, on the first request
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.exceptions import HTTPException
    from fastapi.security import HTTPBearer

    try:
        return await get_user(request, None, await HTTPBearer(auto_error=False)(request))
    except HTTPException as exc:
        raise Refused(401 if exc.status_code == 401 else 403, str(exc.detail)) from None


def may_read_runs(user: Any, dag_id: str) -> bool:
    """Whether the auth manager lets ``user`` read the runs of ``dag_id`` (their reports are run data)."""
    # Airflow's API server modules: see current_user
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from airflow.configuration import conf

    team = None
    if conf.getboolean("core", "multi_team", fallback=False):
        from airflow.models.dag import DagModel  # only in multi-team mode: a DAG's team decides access

        team = DagModel.get_team_name(dag_id)
    return get_auth_manager().is_authorized_dag(method="GET", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=dag_id, team_name=team), user=user)


def run_in_airflow(dag_id: str, run_id: str) -> bool:
    """Whether Airflow's metadata DB has this run of this DAG (a run id alone could name another DAG's run)."""
    # Airflow's models and session: see current_user
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return session.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)) is not None


def _config():
    from leadpipe.pipeline.settings import load_config  # pulls in the pipeline: first request only

    return load_config()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _headers(name: str, download: bool, ours: bool) -> dict[str, str]:
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "same-origin",
               "Content-Security-Policy": OUR_PAGES_CSP if ours else FOREIGN_PAGES_CSP}
    if download:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return headers


def _page(title: str, body: str) -> HTMLResponse:
    css = ("body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#222}"
           "h1{font-size:1.3rem}li{margin:.3rem 0}.muted{color:#777}")
    return HTMLResponse(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
                        f"<style>{css}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>",
                        headers=_headers("", download=False, ours=True))


def run_index(dag_id: str, run_id: str, task_id: str | None) -> Response:
    """The run's reports and downloads, as links relative to this page (the run folder's layout)."""
    from leadpipe.pipeline.run_outputs import available, data_docs, output_for_task  # see _config

    cfg = _config()
    if task_id and (target := output_for_task(cfg, dag_id, run_id, task_id)):
        return RedirectResponse(target, status_code=303, headers=_headers("", download=False, ours=True))
    items = []
    for output, present in available(cfg, dag_id, run_id):
        if present:
            items.append(f'<li><a href="{_e(output.path)}">{_e(output.title)}</a></li>')
        else:
            items.append(f'<li class="muted">{_e(output.title)}: not produced by this run (yet)</li>')
    for docs in data_docs(cfg, dag_id, run_id):
        source = docs.split("/")[1]
        items.append(f'<li><a href="{_e(docs)}">Data Docs: {_e(source)}</a> (data-quality details)</li>')
    if not items:
        items.append('<li class="muted">this DAG writes no reports</li>')
    return _page(f"Reports of run {run_id}", f"<ul id='outputs'>{''.join(items)}</ul>")


def run_file(dag_id: str, run_id: str, relpath: str, query: dict[str, str]) -> Response:
    from leadpipe.pipeline import run_outputs  # see _config

    cfg = _config()
    if relpath.endswith("list_preview.html") and dag_id == run_outputs.REBUILD_DAG:
        page = _live_preview(cfg, run_id, query)
        if page is not None:
            return page
    found = run_outputs.run_file(cfg, dag_id, run_id, relpath)
    if found is None:
        raise Refused(404, "this run has no such report or file")
    suffix = "." + found.name.rsplit(".", 1)[-1].lower()
    ours = not relpath.startswith(run_outputs.DATA_DOCS + "/") and suffix != ".json"
    headers = _headers(found.name, download=suffix in DOWNLOADS, ours=ours)
    data = found.path.read_bytes()
    if found.from_csv:
        from leadpipe.pipeline.spreadsheets import csv_to_xlsx  # see _config

        data = csv_to_xlsx(data, sheet=found.name.rsplit(".", 1)[0])
    return Response(data, media_type=TYPES.get(suffix, "application/octet-stream"), headers=headers)


def _live_preview(cfg, run_id: str, query: dict[str, str]) -> Response | None:
    """The preview rendered now, in the order the person clicked; None when the plan is not written yet."""
    from leadpipe.pipeline.context import run_folder  # see _config
    from leadpipe.pipeline.list_preview import load_preview, render_list_preview  # see _config

    try:
        preview = load_preview(run_folder(cfg, run_id) / "rebuild", {m.name: m.label for m in cfg.markets})
    except FileNotFoundError:
        return None
    page = render_list_preview(preview, query.get("sort"), query.get("order"), query.get("ssort"),
                               query.get("sorder"))
    return HTMLResponse(page, headers=_headers("", download=False, ours=True))


def create_app(run_exists: Callable[[str, str], bool] = run_in_airflow) -> FastAPI:
    """The app; ``run_exists`` answers from Airflow's metadata DB (tests without one pass their own)."""
    app = FastAPI(title="leadpipe reports", docs_url=None, redoc_url=None, openapi_url=None)

    async def guarded(request: Request, dag_id: str, run_id: str, serve: Callable[[], Response]) -> Response:
        try:
            user = await current_user(request)
        except Refused as refused:
            if refused.status == 401 and "text/html" in request.headers.get("accept", ""):
                from airflow.api_fastapi.app import get_auth_manager  # see current_user

                return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=302)
            return JSONResponse({"detail": refused.reason}, status_code=refused.status)
        if not await run_in_threadpool(may_read_runs, user, dag_id):
            log.info("reports: %s may not read runs of %s (403)", type(user).__name__, dag_id)
            return JSONResponse({"detail": "you may not read the runs of this DAG"}, status_code=403)
        try:
            if not await run_in_threadpool(run_exists, dag_id, run_id):
                raise Refused(404, "no such run of this DAG")
            return await run_in_threadpool(serve)
        except Refused as refused:
            return JSONResponse({"detail": refused.reason}, status_code=refused.status)

    @app.get("/dags/{dag_id}/runs/{run_id}/")
    async def index(request: Request, dag_id: str, run_id: str) -> Response:
        task = request.query_params.get("task")
        return await guarded(request, dag_id, run_id, lambda: run_index(dag_id, run_id, task))

    @app.get("/dags/{dag_id}/runs/{run_id}/{relpath:path}")
    async def file(request: Request, dag_id: str, run_id: str, relpath: str) -> Response:
        query = dict(request.query_params)
        return await guarded(request, dag_id, run_id, lambda: run_file(dag_id, run_id, relpath, query))

    return app


app = create_app()
