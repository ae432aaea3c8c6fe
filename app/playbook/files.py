"""Reading one playbook YAML file into its pydantic model; errors name file, field and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.playbook.errors import PlaybookError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlaybookError(str(path), "(file)", f"not valid YAML: {exc}") from exc
    except OSError as exc:
        raise PlaybookError(str(path), "(file)", f"cannot read: {exc.strerror}") from exc


def first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]) or "(root)", err["msg"]


def parse_section(model: type[M], data: Any, source: str) -> M:
    if not isinstance(data, dict):
        raise PlaybookError(source, "(root)", "must be a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        field, problem = first_error(exc)
        raise PlaybookError(source, field, problem) from exc


def load_section(model: type[M], path: Path) -> M:
    return parse_section(model, read_yaml(path), str(path))
