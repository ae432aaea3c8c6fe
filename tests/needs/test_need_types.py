"""CRM need types come from the customer's words, through the playbook's categories."""

from __future__ import annotations

from pathlib import Path

from app.needs.extract import need_types
from app.needs.schemas import Item
from app.playbook.needs import load

RULES = load(Path(__file__).resolve().parents[2] / "playbook")


def test_equipment_and_stock_needs_are_typed_in_both_languages() -> None:
    en = [
        Item(text="Early warnings would let us plan repairs on weekends.", turn_seq=16),
        Item(text="Automatic reordering would save the express fees.", turn_seq=18),
    ]
    assert {"reliability", "supply", "cost"} <= set(need_types(en, RULES))
    zh = [Item(text="设备一故障就得停线,备件还经常缺货。", turn_seq=4)]
    assert {"reliability", "supply"} <= set(need_types(zh, RULES))
    assert need_types([Item(text="We're fine, thanks.", turn_seq=2)], RULES) == []
