"""The one place that builds chat models, from `SALESCOACH_LLM` and the OpenAI settings.

`SALESCOACH_LLM` is `scripted` (no model: the offline engine) or a LangChain model string,
`provider:model` (`openai:gpt-4o-mini`, `anthropic:...` if its integration is installed).
A name without a provider prefix (`qwen2.5:7b`, `gpt-4o-mini`) is an OpenAI model, so any
OpenAI-compatible server behind `OPENAI_BASE_URL` works without guessing its provider.

Timeouts and retries are the provider SDK's own: for OpenAI, `timeout` bounds each HTTP read
(connect, each streamed chunk), and `max_retries` retries connection errors, timeouts, 408,
409, 429 and every 5xx with exponential backoff (0.5 s doubling to at most 8 s, with jitter,
or the server's `Retry-After`/`retry-after-ms` up to 2 minutes); see openai._base_client
`_should_retry` and `_calculate_retry_timeout`. A failure after the last retry reaches the
caller (the LLM engine maps it to a 502 or 504).
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.config import Settings

SCRIPTED = "scripted"
# Providers are lowercase words (`openai`, `azure_openai`); `qwen2.5:7b` is a model tag instead.
_PROVIDER = re.compile(r"^[a-z][a-z_]*$")
# OpenAI-compatible local servers usually ignore the key, but the SDK refuses to start without one.
_NO_KEY = "not-needed"


class ChatModelConfigError(ValueError):
    """`SALESCOACH_LLM` names a model that cannot be built (unknown provider, missing package)."""


def provider_of(llm: str) -> tuple[str, str]:
    """(provider, model) of a model string; no recognisable prefix means OpenAI."""
    prefix, sep, rest = llm.partition(":")
    if sep and rest and _PROVIDER.match(prefix):
        return prefix, rest
    return "openai", llm


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None for the offline `scripted` engine."""
    llm = settings.llm.strip()
    if not llm or llm == SCRIPTED:
        return None
    provider, model = provider_of(llm)
    kwargs: dict[str, Any] = {
        "timeout": settings.llm_timeout,
        "max_retries": settings.llm_max_retries,
        "streaming": True,
    }
    # The OpenAI settings go to the OpenAI client only, never to another provider's.
    if provider == "openai":
        kwargs["api_key"] = settings.openai_api_key or (
            _NO_KEY if settings.openai_base_url else None
        )
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
            # A compatible server speaks Chat Completions, not the Responses API.
            kwargs["use_responses_api"] = False
        if kwargs["api_key"] is None:
            raise ChatModelConfigError(
                f"SALESCOACH_LLM={llm}: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"
            )
    # Imported here: the provider SDKs take tens of MiB that the offline engine never needs.
    from langchain.chat_models import init_chat_model

    try:
        chat_model: BaseChatModel = init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError as exc:
        raise ChatModelConfigError(
            f"SALESCOACH_LLM={llm}: the LangChain package for provider {provider!r} "
            "is not installed"
        ) from exc
    except ValueError as exc:
        # Only the first line: a pydantic error would go on to quote the offending values.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ChatModelConfigError(f"SALESCOACH_LLM={llm}: {reason}") from exc
    return chat_model
