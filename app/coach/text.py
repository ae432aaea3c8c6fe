"""Folding full-width forms (？，！：；（） and full-width letters and digits) to ASCII.

Chinese text is typed with full-width punctuation; the playbook's patterns are written once,
with ASCII punctuation, so every utterance is folded before it is matched. The ideographic
full stop 。, the enumeration comma 、 and the ellipsis … have no ASCII form and stay.
"""

from __future__ import annotations

_TABLE = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def halfwidth(text: str) -> str:
    return text.translate(_TABLE)
