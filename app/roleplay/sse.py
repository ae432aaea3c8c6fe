"""The turn event stream (`POST /api/v1/sessions/{id}/turns` with `Accept: text/event-stream`).

Events, in order, each `event: <name>` with one JSON `data:` line:
- `coaching`: the rep turn's coaching object plus its `seq`;
- `token`: `{"text": delta}`, zero or more, the customer's reply as it is produced;
- `customer_turn`: the stored customer Turn;
- `done`: `{"status", "rep_turn", "customer_turn", "patience"}`, the last event.
On failure the stream ends with `error`: `{"detail", "status_code"}` (502 or 504 for the model,
409 for an ended session); the rep turn is kept and the same text can be sent again to retry.
The turn's first event is produced before the response starts, so a session that is not the
caller's (404) or has ended (409) answers with that status; later failures are `error` events.
The turn owns its DB session because it outlives the request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from app.db import unavailable
from app.errors import AppError
from app.roleplay.service import TurnEvent

log = logging.getLogger("salescoach.sse")


def encode(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(
    events: AsyncIterator[TurnEvent], first: TurnEvent | None = None
) -> AsyncIterator[bytes]:
    """The events as SSE; `first`, when given, was already taken from `events`."""
    if first is not None:
        yield encode(first.event, first.data)
    try:
        async for item in events:
            yield encode(item.event, item.data)
    except AppError as exc:
        yield encode("error", {"detail": exc.detail, "status_code": exc.status_code})
    except Exception as exc:
        if unavailable(exc):
            log.error("turn stream lost the database: %s", exc)
            detail = {
                "detail": "the database is unavailable; try again shortly",
                "status_code": 503,
            }
            yield encode("error", detail)
            return
        log.exception("turn stream failed")
        yield encode("error", {"detail": "the turn failed; send it again", "status_code": 500})
