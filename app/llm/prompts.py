"""Prompt templates: one Jinja2 file per prompt and language, `prompts/<name>.<language>.j2`.

Rendering is strict (an undefined variable is an error, not an empty string), never escapes
HTML (prompts are plain text) and trims block tags so templates can be laid out readably.
A prompt's version is a short sha256 of its source and of every template it includes, so
each stored customer turn can say which wording produced it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta

from app.config import get_settings

SUFFIX = ".j2"
VERSION_CHARS = 12


def template_name(name: str, language: str) -> str:
    return f"{name}.{language}{SUFFIX}"


class PromptLibrary:
    """The templates of one prompts/ folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = Environment(
            loader=FileSystemLoader(str(directory), encoding="utf-8"),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def render(self, name: str, language: str, /, **variables: object) -> str:
        """The prompt `name` in `language`, filled with `variables`."""
        return self.env.get_template(template_name(name, language)).render(**variables)

    def version(self, name: str, language: str) -> str:
        """Short sha256 of the template's source and of the templates it includes."""
        digest = hashlib.sha256()
        for source_name in self._sources(template_name(name, language)):
            digest.update(source_name.encode())
            digest.update(b"\0")
            digest.update(self._source(source_name).encode())
            digest.update(b"\0")
        return digest.hexdigest()[:VERSION_CHARS]

    def combined_version(self, names: tuple[str, ...], languages: tuple[str, ...]) -> str:
        """One version for a set of prompts, e.g. every language of a prompt pair."""
        parts = [f"{n}.{lang}={self.version(n, lang)}" for n in names for lang in languages]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:VERSION_CHARS]

    def _source(self, source_name: str) -> str:
        source, _, _ = self.env.loader.get_source(self.env, source_name)  # type: ignore[union-attr]
        return source

    def _sources(self, root: str) -> list[str]:
        """The template and everything it includes, extends or imports, in a stable order."""
        seen: list[str] = []
        pending = [root]
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.append(current)
            ast = self.env.parse(self._source(current))
            pending.extend(
                sorted(ref for ref in meta.find_referenced_templates(ast) if ref is not None)
            )
        return seen


@lru_cache(maxsize=8)
def library(directory: Path) -> PromptLibrary:
    return PromptLibrary(directory)


def render(name: str, language: str, /, **variables: object) -> str:
    """Render prompts/<name>.<language>.j2 from the configured prompts folder."""
    return library(get_settings().prompts_dir).render(name, language, **variables)


def prompt_version(name: str, language: str) -> str:
    """The short hash a stored turn records for prompts/<name>.<language>.j2."""
    return library(get_settings().prompts_dir).version(name, language)
