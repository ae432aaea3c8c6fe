"""The UI string catalogue: one flat JSON file per language in app/web/i18n/.

Keys are dotted names; values may hold `{placeholders}` filled by `str.format`. Both files must
hold the same keys (a test checks it). A missing key renders as the key itself, so a gap shows
on the page instead of failing it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

UiLanguage = Literal["zh", "en"]
LANGUAGES: tuple[UiLanguage, ...] = ("zh", "en")
DEFAULT_LANGUAGE: UiLanguage = "en"
CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"


@lru_cache
def catalogue(language: UiLanguage) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOGUE_DIR / f"{language}.json").read_text("utf-8"))
    return data


def as_language(value: str | None) -> UiLanguage | None:
    """The UI language named by a cookie or form value, or None when it names none we have."""
    return value if value in LANGUAGES else None


def from_accept_language(header: str | None) -> UiLanguage:
    """The first of our languages the browser asks for, else the default."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


class Translator:
    """`t("key", name=...)` for one language; bound into every template as `t`."""

    def __init__(self, language: UiLanguage) -> None:
        self.language = language
        self.strings = catalogue(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self.strings.get(key, key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.strings

    def subset(self, *prefixes: str) -> dict[str, str]:
        """The strings under some key prefixes, for the page's JavaScript."""
        return {k: v for k, v in self.strings.items() if k.startswith(prefixes)}
