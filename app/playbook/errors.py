"""Errors raised while loading playbook/ content; they name the file and the field."""

from __future__ import annotations


class PlaybookError(Exception):
    def __init__(self, file: str, field: str, problem: str) -> None:
        super().__init__(f"{file}: {field}: {problem}")
        self.file = file
        self.field = field
        self.problem = problem
