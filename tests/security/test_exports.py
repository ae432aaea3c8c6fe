"""Exports hold text reps, trainers and models wrote: CSV cells never start a formula, Markdown
carries no live HTML."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from app.needs.export import _neutral
from tests.conftest import Account
from tests.roleplay.test_api import start, turn

FORMULAS = ['=HYPERLINK("http://evil","x")', "+SUM(1,2)", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("start_char", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_a_formula_is_quoted_as_text(start_char: str) -> None:
    assert _neutral(f"{start_char}cmd") == f"'{start_char}cmd"


def test_ordinary_cells_are_unchanged() -> None:
    assert _neutral("How many trucks do you run?") == "How many trucks do you run?"
    assert _neutral("12") == "12" and _neutral("") == ""


async def test_csv_export_has_no_formula_cells(client: httpx.AsyncClient, rep: Account) -> None:
    sid = await start(client, rep)
    for text in FORMULAS:
        assert (await turn(client, rep, sid, text)).status_code == 200
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "csv"}, headers=rep.headers
    )
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text)))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    texts = [row[4] for row in rows if row[0] == "turn" and row[2] == "rep"]
    assert texts == [f"'{t}" for t in FORMULAS]  # the rep's words are all there, as text


async def test_markdown_export_escapes_html(client: httpx.AsyncClient, rep: Account) -> None:
    sid = await start(client, rep)
    for text in ("<script>alert(1)</script> what do you use?", "<img src=x onerror=alert(1)>"):
        assert (await turn(client, rep, sid, text)).status_code == 200
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "markdown"}, headers=rep.headers
    )
    assert r.status_code == 200
    assert "<script" not in r.text and "<img" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; what do you use?" in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text
