"""The pure steps of a turn, in process: CPU time per rep turn of the coach's reading, the tip,
the customer's decision and the scripted reply (prints figures).

Plays the 30-turn sessions of bench/turns.py (en and zh) the way a live turn does, each step on
the conversation so far, without HTTP or a database, so what is measured is the work only
salescoach does on top of the floor. CPU time of this process: a busy machine skews it less
than wall time, but it still does (caches and the other core are shared).

    .venv/bin/python bench/turn_steps.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach import tips  # noqa: E402
from app.coach.analyzer import read  # noqa: E402
from app.coach.schemas import CoachContext, EarlierTurn  # noqa: E402
from app.playbook.loader import load_playbook  # noqa: E402
from app.roleplay.engine import ReplyContext  # noqa: E402
from app.roleplay.scripted import ScriptedEngine  # noqa: E402
from app.roleplay.state import decide, initial_state  # noqa: E402
from app.roleplay.transcript import TranscriptTurn  # noqa: E402
from bench.turns import PERSONAS, SESSION_TURNS, TEXTS  # noqa: E402

PLAYBOOK = load_playbook(ROOT / "playbook")
spent: Counter[str] = Counter()


def timed(step: str, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    started = time.process_time()
    result = work(*args, **kwargs)
    spent[step] += time.process_time() - started
    return result


def session(language: str) -> int:
    """One session of up to 30 rep turns; the number of rep turns played."""
    playbook = PLAYBOOK
    persona = playbook.personas[PERSONAS[language]]
    state = initial_state(persona, playbook.customer)
    turns: list[TranscriptTurn] = []
    earlier: list[EarlierTurn] = []
    engine = ScriptedEngine()
    for index, text in enumerate(TEXTS[language][:SESSION_TURNS]):
        seq = 2 * index + 1
        context = CoachContext.of("discovery", earlier)
        reading = timed("coach", read, text, playbook.coach, context, language=language)
        tip = timed("tip", tips.next_best_move, reading, turns, persona, "discovery", playbook)
        reading.tip = tip.text
        decision = timed(
            "decision", decide, state, persona, reading, "discovery", playbook.customer, seq=seq
        )
        ctx = ReplyContext(
            persona=persona,
            scenario="discovery",
            language=persona.language,
            decision=decision,
            history=turns,
            rep_text=text,
            rules=playbook.customer,
            session_id=f"bench-{language}",
        )
        reply = "".join(timed("reply", engine.deltas, ctx)).strip()
        new = [
            TranscriptTurn(seq=seq, speaker="rep", text=text, coaching=reading),
            TranscriptTurn(
                seq=seq + 1,
                speaker="customer",
                text=reply,
                revealed=decision.facts,
                act=decision.act,
            ),
        ]
        turns += new
        earlier += [EarlierTurn.model_validate(t, from_attributes=True) for t in new]
        state = decision.state
        if state.ended:
            return index + 1
    return SESSION_TURNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    session("en"), session("zh")  # warm-up
    spent.clear()
    count = sum(session(language) for _ in range(args.rounds) for language in ("en", "zh"))
    total = sum(spent.values())
    print(f"pure steps of a turn: {total / count * 1e6:,.0f} µs CPU per rep turn ({count} turns)")
    for step, seconds in spent.most_common():
        print(f"  {step}: {seconds / count * 1e6:,.0f} µs")


if __name__ == "__main__":
    main()
