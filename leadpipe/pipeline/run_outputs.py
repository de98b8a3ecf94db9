"""Which files of a run a person may open from the Airflow UI, and where they are.

The web address of a run file mirrors the run folder (`<run>/report.html`, `<run>/rebuild/list_members.csv`,
`<run>/data_docs/...`), so the relative links inside the reports work through the UI and from the run folder
alike. A request names a DAG, a run id and one of the files listed here; the folder comes from the run id
(as every stage computes it), never from a path the request supplies. The one tree served below a known
folder, Data Docs, is checked segment by segment and must stay inside that folder after symlinks resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.settings import Config
from leadpipe.store.run_paths import RunPath, is_local

NIGHTLY_DAG = "leads_nightly"
REBUILD_DAG = "rebuild_prospect_list"
CALL_LISTS_DAG = "call_lists_daily"
DATA_DOCS = "data_docs"
# what a Data Docs site is made of; anything else under data_docs/ (GX's config, stores) is not served
DOCS_SUFFIXES = frozenset({".html", ".css", ".js", ".png", ".svg", ".ico", ".json", ".woff", ".woff2", ".ttf",
                           ".map", ".gif", ".jpg"})
_SEGMENT = re.compile(r"^\w[\w.,:@+= -]*$")  # a plain name: no "..", no "/", no "\\"


@dataclass(frozen=True)
class Output:
    path: str  # relative to the run folder, with "/"
    title: str
    from_csv: bool = False  # an Excel copy made from the CSV next to it when downloaded


OUTPUTS: dict[str, tuple[Output, ...]] = {
    NIGHTLY_DAG: (
        Output("report.html", "Run report"),
        Output("crm_import.csv", "CRM import file (CSV)"),
        Output("crm_import.xlsx", "CRM import file (Excel)", from_csv=True),
        Output("summary.json", "Run summary (JSON, for tools)"),
    ),
    REBUILD_DAG: (
        Output("rebuild/report.html", "Rebuild report (choices, plan, approval, CRM result)"),
        Output("rebuild/list_preview.html", "List preview (who is on the list, who is left out)"),
        Output("rebuild/list_preview.csv", "List preview (CSV)"),
        Output("rebuild/list_preview.xlsx", "List preview (Excel)"),
        Output("rebuild/list_members.csv", "List members as written (CSV)"),
        Output("rebuild/list_members.xlsx", "List members as written (Excel)", from_csv=True),
        Output("rebuild/crm_import.csv", "CRM import file (CSV)"),
        Output("rebuild/crm_import.xlsx", "CRM import file (Excel)", from_csv=True),
        Output("rebuild/plan.json", "Plan (JSON, for tools)"),
    ),
    CALL_LISTS_DAG: (
        Output("call_lists/report.html", "Call lists report (quota use per owner, who was left out and why)"),
        Output("call_lists/call_list.csv", "Call lists (CSV)"),
        Output("call_lists/call_list.xlsx", "Call lists (Excel)", from_csv=True),
        Output("call_lists/call_lists.json", "Call lists summary (JSON, for tools)"),
    ),
}
DOCS_DAGS = frozenset({NIGHTLY_DAG})


@dataclass(frozen=True)
class RunFile:
    path: RunPath  # the file to send (for an Excel copy: the CSV it is made from)
    name: str  # the file name the person gets
    from_csv: bool = False


def serves(dag_id: str) -> bool:
    return dag_id in OUTPUTS


def available(cfg: Config, dag_id: str, run_id: str) -> list[tuple[Output, bool]]:
    """Every output of the DAG's runs, and whether this run has it (an Excel copy: whether its CSV exists)."""
    folder = run_folder(cfg, run_id)
    return [(o, (folder / _source(o)).exists()) for o in OUTPUTS.get(dag_id, ())]


def data_docs(cfg: Config, dag_id: str, run_id: str) -> list[str]:
    """The Data Docs start pages of a run, relative to the run folder."""
    if dag_id not in DOCS_DAGS:
        return []
    folder = run_folder(cfg, run_id)
    root = folder / DATA_DOCS
    if not root.exists():
        return []
    return sorted(str(p.relative_to(folder)).replace("\\", "/") for p in root.glob("*/**/index.html"))


def _source(o: Output) -> str:
    return o.path[: -len(".xlsx")] + ".csv" if o.from_csv else o.path


def run_file(cfg: Config, dag_id: str, run_id: str, relpath: str) -> RunFile | None:
    """The file ``relpath`` of the run, or None when it is not one this DAG's runs serve (or does not exist)."""
    folder = run_folder(cfg, run_id)
    for o in OUTPUTS.get(dag_id, ()):
        if o.path == relpath:
            path = folder / _source(o)
            return RunFile(path, relpath.rsplit("/", 1)[-1], o.from_csv) if path.exists() else None
    if dag_id in DOCS_DAGS and relpath.startswith(DATA_DOCS + "/"):
        path = _inside(folder / DATA_DOCS, relpath[len(DATA_DOCS) + 1:])
        return RunFile(path, path.name) if path is not None else None
    return None


def _inside(root: RunPath, relpath: str) -> RunPath | None:
    """``root/relpath`` if every segment is a plain name, the suffix is a Data Docs one and, on a local disk,
    the resolved file is still under the resolved root (a symlink out of it is refused)."""
    parts = relpath.split("/")
    if not parts or any(not _SEGMENT.match(p) or p.startswith("..") for p in parts):
        return None
    if Path(parts[-1]).suffix.lower() not in DOCS_SUFFIXES:
        return None
    path = root.joinpath(*parts)
    if is_local(path):
        try:
            resolved = path.resolve(strict=True)
            if not resolved.is_relative_to(Path(root).resolve(strict=True)):
                return None
        except (OSError, RuntimeError):
            return None
    return path if path.is_file() else None


# the page a task's "Reports" tab opens on (a task not named here opens the run's list of reports)
TASK_OUTPUTS: dict[str, dict[str, str]] = {
    NIGHTLY_DAG: {"summarise": "report.html", "push": "report.html"},
    REBUILD_DAG: {"plan": "rebuild/list_preview.html", "approve_crm_write": "rebuild/list_preview.html",
                  "gate": "rebuild/list_preview.html", "write_to_crm": "rebuild/report.html",
                  "report": "rebuild/report.html"},
    CALL_LISTS_DAG: {"build_call_lists": "call_lists/report.html"},
}


def output_for_task(cfg: Config, dag_id: str, run_id: str, task_id: str) -> str | None:
    """The run file a task's page should show, when the run has it yet."""
    relpath = TASK_OUTPUTS.get(dag_id, {}).get(task_id)
    return relpath if relpath and (run_folder(cfg, run_id) / relpath).exists() else None
