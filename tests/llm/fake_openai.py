"""A fake OpenAI-compatible endpoint for respx: chat.completion(.chunk) bodies and settings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx

from app.config import Settings

BASE_URL = "http://llm.test/v1"
CHAT_URL = f"{BASE_URL}/chat/completions"
API_KEY = "sk-test"
# Makes the SDK's backoff between retries a millisecond, so retry tests stay fast.
FAST_RETRY = {"retry-after-ms": "1"}
SSE = {"content-type": "text/event-stream"}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm": "openai:gpt-4o-mini",
        "OPENAI_BASE_URL": BASE_URL,
        "OPENAI_API_KEY": API_KEY,
        "llm_timeout": 5.0,
        "llm_max_retries": 2,
        "llm_history_turns": 12,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def chunk(content: str | None = None, finish_reason: str | None = None) -> str:
    delta = {} if content is None else {"role": "assistant", "content": content}
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse_body(
    deltas: Iterable[str], *, finish_reason: str | None = "stop", done: bool = True
) -> str:
    body = "".join(chunk(d) for d in deltas)
    if finish_reason is not None:
        body += chunk(None, finish_reason)
    if done:
        body += "data: [DONE]\n\n"
    return body


def stream_response(deltas: Iterable[str], **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, headers=SSE, text=sse_body(deltas, **kwargs))


def completion_json(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    }


def cut_stream_response(first: str) -> httpx.Response:
    """A stream whose connection drops after the first delta."""

    async def body() -> AsyncIterator[bytes]:
        yield chunk(first).encode()
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    return httpx.Response(200, headers=SSE, stream=body())


def request_messages(request: httpx.Request) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = json.loads(request.content)["messages"]
    return messages


def prompt_chars(request: httpx.Request) -> int:
    return sum(len(m["content"]) for m in request_messages(request))
