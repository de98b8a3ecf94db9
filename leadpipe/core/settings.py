"""The base of every settings model, and reading a YAML settings file with errors a person can act on.

Each part of leadpipe declares the settings it uses next to its code (a source its connection, scoring its
points); the pipeline composes them into one top model. This module knows none of them: the top model is
passed in, so core imports nothing of ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from leadpipe.core.errors import ConfigError

__all__ = ["ConfigError", "HomePath", "PathSetting", "Strict", "explain", "load_yaml", "path_fields",
           "validate_settings"]

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not be silently ignored) and settings never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSetting:
    """Marks a settings field as a path that may use `{home}`: the pipeline resolves it before use."""


# A path setting: `{home}/inputs/x.csv` or relative (to the leadpipe home); URIs (s3://...) are kept as given.
HomePath = Annotated[str, PathSetting()]


def path_fields(model: type[BaseModel]) -> list[str]:
    """Names of the fields of `model` declared as HomePath (also `HomePath | None`)."""
    return [name for name, info in model.model_fields.items()
            if any(isinstance(m, PathSetting) for m in info.metadata) or _marks_path(info.annotation)]


def _marks_path(annotation: Any) -> bool:
    """True when a HomePath sits in the annotation, e.g. inside `HomePath | None`."""
    if any(isinstance(m, PathSetting) for m in getattr(annotation, "__metadata__", ())):
        return True
    return any(_marks_path(arg) for arg in get_args(annotation))


def load_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file; ConfigError for a missing file, bad YAML or a non-mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return data


def validate_settings(model: type[M], data: dict[str, Any], path: Path) -> M:
    """`model` validated from `data` (read from `path`); ConfigError with one line per problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain(path, exc)) from None


def explain(path: Path, exc: ValidationError) -> str:
    """One line per problem: where in the file (sections.0.key) and what is wrong, without pydantic jargon."""
    lines = [f"{path}: {exc.error_count()} problem(s) in the config:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)
