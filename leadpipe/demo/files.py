"""The demo's files: their names and headers, where they live, and writing them all-or-nothing."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

APOLLO_FILE = "vendor_apollo.csv"
ZOOMINFO_FILE = "vendor_zoominfo.csv"
WEB_FORMS_FILE = "web_forms.csv"
GROUND_TRUTH_FILE = "ground_truth.csv"

APOLLO_HEADER: tuple[str, ...] = (
    "First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website",
    "City", "State", "Country", "# Employees", "Industry", "Annual Revenue",
)
ZOOMINFO_HEADER: tuple[str, ...] = (
    "First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number",
    "Website", "Person City", "Person State", "Country", "Employees", "Primary Industry", "Revenue Range (in USD)",
    "Zip Code",
)
WEB_FORMS_HEADER: tuple[str, ...] = (
    "submitted_at", "full_name", "email", "company", "phone", "job_title", "country", "website",
    "consent_email", "form_id",
)
GROUND_TRUTH_HEADER: tuple[str, ...] = ("file", "row", "person")

# Internal file keys -> file names.
_FILES = {"apollo": APOLLO_FILE, "zoominfo": ZOOMINFO_FILE, "web": WEB_FORMS_FILE}


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo inputs live; the pipeline's source config points at these names."""

    apollo: Path
    zoominfo: Path
    web_forms: Path
    ground_truth: Path

    @classmethod
    def in_dir(cls, out_dir: Path) -> DemoFiles:
        out_dir = Path(out_dir)
        return cls(
            out_dir / APOLLO_FILE, out_dir / ZOOMINFO_FILE, out_dir / WEB_FORMS_FILE, out_dir / GROUND_TRUTH_FILE
        )

    def all(self) -> tuple[Path, ...]:
        return (self.apollo, self.zoominfo, self.web_forms, self.ground_truth)

    def exist(self) -> bool:
        return all(p.is_file() for p in self.all())


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_all(files: DemoFiles, rendered: dict[str, list[tuple[str, list[str]]]]) -> None:
    """Write to temp names then rename, so a crash never leaves a half set that looks complete."""
    headers = {"apollo": APOLLO_HEADER, "zoominfo": ZOOMINFO_HEADER, "web": WEB_FORMS_HEADER}
    targets = {"apollo": files.apollo, "zoominfo": files.zoominfo, "web": files.web_forms}
    truth = [[_FILES[key], str(i), pid] for key in ("apollo", "zoominfo", "web")
             for i, (pid, _) in enumerate(rendered[key], start=1)]
    staged = []
    for key, path in targets.items():
        tmp = path.with_name(path.name + ".tmp")
        _write_csv(tmp, headers[key], [cells for _, cells in rendered[key]])
        staged.append((tmp, path))
    tmp = files.ground_truth.with_name(files.ground_truth.name + ".tmp")
    _write_csv(tmp, GROUND_TRUTH_HEADER, truth)
    staged.append((tmp, files.ground_truth))
    for tmp, path in staged:
        os.replace(tmp, path)
