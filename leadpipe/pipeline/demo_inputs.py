"""The demo inputs in the configured home (`leadpipe demo`): two purchased lists, form submissions, a
do-not-contact list and the local CRM's feedback file, generated once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leadpipe.demo.crm_feedback import write_demo_crm_feedback
from leadpipe.demo.do_not_contact import write_demo_do_not_contact
from leadpipe.demo.generator import generate
from leadpipe.pipeline.settings import Config


@dataclass(frozen=True)
class DemoInputs:
    folder: Path
    created: bool  # False: they were already there and were left alone


def ensure_demo_inputs(cfg: Config, *, people: int = 400, seed: int = 7) -> DemoInputs:
    """Generate the demo inputs under {home}/inputs/demo unless its ground truth is already there."""
    out = cfg.home / "inputs" / "demo"
    if (out / "ground_truth.csv").exists():
        return DemoInputs(out, created=False)
    files = generate(out, people=people, seed=seed)
    write_demo_do_not_contact(Path(files.zoominfo), out / "do_not_contact.csv")
    write_demo_crm_feedback(Path(files.zoominfo), out / "crm_feedback.csv")
    return DemoInputs(out, created=True)
