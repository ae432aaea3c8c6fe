"""The LLM customer: a chat model phrases the state machine's decision, one streamed call a turn.

The prompt has three parts, in this order:
1. a system message from prompts/customer_system.<lang>.j2: the persona's public card, the
   scenario, the character rules and the refusal to leave the role. It depends only on the
   persona, the scenario and the language, so it is byte-identical on every turn of a session
   (providers can cache it) and it holds no hidden fact at all;
2. the history window: the last `llm_history_turns` turns, the rep's as user messages and the
   customer's as assistant messages, each clipped, so the prompt stops growing once it is full;
3. a user message from prompts/customer_turn.<lang>.j2: the rep's words of this turn and the
   direction for the reply: the act, the mood and the facts the decision allows now.
A fact reaches the model only through the decision of its turn; afterwards it appears only as
the customer's own earlier words in the history. Nothing else of the persona's hidden facts
(objections included, unless the decision raises one) is ever sent.

Errors: a timeout is `UpstreamError(..., 504)`; every other failure (an HTTP error after the
SDK's retries, a broken connection, a malformed or cut-off stream, an empty reply) is
`UpstreamError(..., 502)` with a short reason of our own, never the provider's text.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai.chat_models.base import BaseChatOpenAI

from app.config import Settings
from app.errors import UpstreamError
from app.llm.prompts import PromptLibrary, library
from app.roleplay.engine import ReplyContext
from app.roleplay.transcript import TranscriptTurn

log = logging.getLogger("salescoach.llm")

SYSTEM_PROMPT = "customer_system"
TURN_PROMPT = "customer_turn"
LANGUAGES = ("zh", "en")
# A history turn longer than this is clipped: a 4,000-character monologue must not make every
# later prompt of the session large.
HISTORY_TURN_CHARS = 600
TIMEOUT_MESSAGE = "the language model did not answer in time"
FAILURE_PREFIX = "the language model failed: "
# Finish reasons that mean the reply was withheld rather than completed.
_FILTERED = frozenset({"content_filter"})


def _clip(text: str, limit: int = HISTORY_TURN_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def history_window(history: list[TranscriptTurn], size: int, rep_text: str) -> list[BaseMessage]:
    """The last `size` turns as chat messages, starting with a rep turn, speakers alternating."""
    turns = list(history)
    # A rep turn resent after a failed reply is this turn, not history.
    if turns and turns[-1].speaker == "rep" and turns[-1].text.strip() == rep_text.strip():
        turns.pop()
    window = turns[-size:] if size > 0 else []
    while window and window[0].speaker != "rep":
        window.pop(0)
    messages: list[BaseMessage] = []
    for turn in window:
        text = _clip(turn.text)
        if not text:
            continue
        last = messages[-1] if messages else None
        is_rep = turn.speaker == "rep"
        # Two rep turns in a row (a reply that failed) become one message, keeping roles alternate.
        if last is not None and isinstance(last, HumanMessage) == is_rep:
            last.content = f"{last.content}\n{text}"
            continue
        messages.append(HumanMessage(text) if is_rep else AIMessage(text))
    return messages


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return True
    # Other providers' SDKs name their timeout errors alike (anthropic.APITimeoutError, ...).
    return any("Timeout" in cls.__name__ for cls in type(exc).__mro__)


def _status_reason(status: int) -> str:
    if status == 429:
        return "the provider is rate limiting requests (HTTP 429), also after retrying"
    if status in (401, 403):
        return f"the provider refused the API key (HTTP {status})"
    if status == 404:
        return "the provider does not know this model or URL (HTTP 404)"
    if status >= 500:
        return f"the provider had an internal error (HTTP {status}), also after retrying"
    return f"the provider rejected the request (HTTP {status})"


def failure_reason(exc: BaseException) -> str:
    """A short reason of our own for a provider failure; never the provider's text."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, openai.APIStatusError) or isinstance(status, int):
        return _status_reason(int(status)) if isinstance(status, int) else "the provider failed"
    if isinstance(exc, openai.APIResponseValidationError):
        return "the provider sent a malformed reply"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the provider"
    if isinstance(exc, httpx.TransportError):
        return "the connection broke off in the middle of the reply"
    if isinstance(exc, openai.APIError):
        return "the provider reported an error in the stream"
    if isinstance(exc, ValueError) and "No generation chunks" in str(exc):
        return "the provider sent no reply"
    if isinstance(exc, ValueError | UnicodeDecodeError | KeyError | TypeError):
        return "the provider sent a malformed reply"
    return f"unexpected {type(exc).__name__}"


def upstream_error(exc: BaseException) -> UpstreamError:
    """The user-facing error for a failure of the chat model."""
    if _is_timeout(exc):
        return UpstreamError(TIMEOUT_MESSAGE, 504)
    return UpstreamError(FAILURE_PREFIX + failure_reason(exc), 502)


def _chunk_text(chunk: Any) -> str:
    content = getattr(chunk, "content", "")
    if isinstance(content, str):
        return content
    # Some providers stream content blocks; keep their text parts.
    parts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
    parts += [b for b in content if isinstance(b, str)]
    return "".join(p for p in parts if isinstance(p, str))


def _finish_reason(chunk: Any) -> str | None:
    metadata = getattr(chunk, "response_metadata", None) or {}
    for key in ("finish_reason", "stop_reason", "done_reason"):
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class LLMEngine:
    """The CustomerEngine backed by a LangChain chat model (see the module docstring)."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        settings: Settings,
        *,
        require_finish_reason: bool | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.settings = settings
        self.prompts: PromptLibrary = library(settings.prompts_dir)
        self.name: str = settings.llm
        # One version for the prompt pair in every language: a turn records the wording in force.
        self.prompt_version: str | None = "customer-" + self.prompts.combined_version(
            (SYSTEM_PROMPT, TURN_PROMPT), LANGUAGES
        )
        # OpenAI-protocol streams always end with a finish reason; its absence means a cut.
        self.require_finish_reason = (
            isinstance(chat_model, BaseChatOpenAI)
            if require_finish_reason is None
            else require_finish_reason
        )

    def system_prompt(self, ctx: ReplyContext) -> str:
        """The first message: the same bytes on every turn of a session."""
        return self.prompts.render(
            SYSTEM_PROMPT, ctx.language, persona=ctx.persona, scenario=ctx.scenario
        )

    def turn_prompt(self, ctx: ReplyContext) -> str:
        """The last message: this turn's rep words and the direction for the reply."""
        d = ctx.decision
        # A ranking names each need said earlier with the persona's priority for it.
        priorities = {i: n.priority for i, n in ctx.persona.needs.items()}
        return self.prompts.render(
            TURN_PROMPT,
            ctx.language,
            rep_text=ctx.rep_text.strip(),
            act=d.act,
            mood=d.mood,
            reason=d.reason,
            terse=d.terse,
            objection=d.objection,
            facts=[{"kind": f.kind, "text": f.text} for f in d.facts],
            # Already said earlier in this session: named again, never new information.
            recalled=[
                {"kind": f.kind, "text": f.text, "priority": priorities.get(f.id)}
                for f in d.recalled
            ],
            ends=d.state.ended,
            # The slot the customer offers instead, or the one agreed.
            step_time=d.next_step.time if d.next_step is not None else None,
        )

    def messages(self, ctx: ReplyContext) -> list[BaseMessage]:
        return [
            SystemMessage(self.system_prompt(ctx)),
            *history_window(ctx.history, self.settings.llm_history_turns, ctx.rep_text),
            HumanMessage(self.turn_prompt(ctx)),
        ]

    async def stream(self, ctx: ReplyContext) -> AsyncIterator[str]:
        """Exactly one streamed chat call; yields the reply's text deltas as they arrive."""
        messages = self.messages(ctx)
        said: list[str] = []
        finish: str | None = None
        try:
            async for chunk in self.chat_model.astream(messages):
                finish = _finish_reason(chunk) or finish
                text = _chunk_text(chunk)
                if text:
                    said.append(text)
                    yield text
        except UpstreamError:
            raise
        except Exception as exc:
            error = upstream_error(exc)
            log.warning(
                "chat model failed in session %s: %s (%s)",
                ctx.session_id,
                error.detail,
                type(exc).__name__,
            )
            raise error from exc
        problem: str | None = None
        if finish in _FILTERED:
            problem = "the provider's content filter stopped the reply"
        elif self.require_finish_reason and finish is None:
            problem = "the reply was cut off before it ended"
        elif not "".join(said).strip():
            problem = "the reply was empty"
        if problem is not None:
            log.warning("chat model failed in session %s: %s", ctx.session_id, problem)
            raise UpstreamError(FAILURE_PREFIX + problem, 502)
