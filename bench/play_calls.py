"""Play scripted calls through a running server's HTTP API and print each call's score.

    python bench/play_calls.py http://127.0.0.1:8000 data/calls/blind_calls_6_2026-12-01.json \
        --user rep9 --password ... [--verbose] [--only 3 --only 7]

A call file is a JSON list of {"persona", "scenario", "kind", "lines"} (the rep's lines; the
customer answers live). Prints the total per call and the scores per kind (excellent, weak,
adversarial): a good rep must outscore a weak or gaming one.
"""

from __future__ import annotations

import argparse
import json
import statistics

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("calls")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--only", type=int, action="append", help="play only these calls")
    args = parser.parse_args()
    calls = json.load(open(args.calls, encoding="utf-8"))
    client = httpx.Client(base_url=args.base, timeout=60)
    form = {"username": args.user, "password": args.password}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    by_kind: dict[str, list[int]] = {}
    for i, call in enumerate(calls):
        if args.only and i not in args.only:
            continue
        body = {"persona_id": call["persona"], "scenario": call["scenario"]}
        sid = client.post("/api/v1/sessions", json=body).json()["id"]
        for line in call["lines"]:
            reply = client.post(f"/api/v1/sessions/{sid}/turns", json={"text": line})
            if reply.status_code not in (200, 201):
                break
            turn = reply.json()
            if args.verbose:
                coaching = turn["rep_turn"].get("coaching") or {}
                print(
                    f"  R: {line[:90]}\n     -> {coaching.get('spin')} {coaching.get('question')}"
                )
                print(f"  C: {(turn['customer_turn'] or {}).get('text', '')[:120]}")
            if turn.get("status") != "active":
                break
        total = client.post(f"/api/v1/sessions/{sid}/finish").json()["scorecard"]["total"]
        by_kind.setdefault(call["kind"], []).append(total)
        print(f"{i:2d} {call['persona']:20s} {call['scenario']:10s} {call['kind']:12s} {total}")
    for kind, totals in by_kind.items():
        print(kind, sorted(totals), "mean", round(statistics.mean(totals), 1))


if __name__ == "__main__":
    main()
