"""bench/tip_samples.py, which writes the tips for the blind review, keeps working."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tip_samples_writes_twenty_tips_per_language_in_their_conversation(tmp_path: Path) -> None:
    out = tmp_path / "tips.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "tip_samples.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    items = re.split(r"\n## \d+\. ", text)[1:]
    assert len(items) == 40
    zh = [i for i in items if "**建议**:" in i]
    en = [i for i in items if "**Tip**:" in i]
    assert len(zh) == 20 and len(en) == 20
    for item in items:
        # The conversation up to the rep turn, its reading, then the tip; no tip kinds shown.
        assert re.search(r"- #1 \*\*", item) and ("教练的判断" in item or "Coach's reading" in item)
        assert "`[" not in item
