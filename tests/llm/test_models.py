"""build_chat_model: the one place chat models are built, with timeouts, retries and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from app.llm.models import ChatModelConfigError, build_chat_model, provider_of
from tests.llm import fake_openai as fake


def test_scripted_builds_no_model() -> None:
    assert build_chat_model(fake.settings(llm="scripted")) is None


def test_the_offline_engine_loads_no_provider_sdk() -> None:
    """The OpenAI SDK and langchain's model factory (tens of MiB) load only for a model."""
    probe = (
        "import sys\n"
        "from app.main import create_app, customer_engine\n"
        "from tests.llm import fake_openai as fake\n"
        "create_app(fake.settings(llm='scripted'))\n"
        "customer_engine(fake.settings(llm='scripted'), None)\n"
        "print(sorted(m for m in ('openai', 'langchain.chat_models') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_openai_model_carries_timeout_retries_streaming_and_endpoint() -> None:
    model = build_chat_model(fake.settings(llm_timeout=7.5, llm_max_retries=3))
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.request_timeout == 7.5
    assert model.max_retries == 3
    assert model.streaming is True
    assert model.openai_api_base == fake.BASE_URL
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == fake.API_KEY
    # The key never shows in a repr or a log line built from the model.
    assert fake.API_KEY not in repr(model) and fake.API_KEY not in str(model)


@pytest.mark.parametrize(
    ("llm", "expected"),
    [
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("qwen2.5:7b", ("openai", "qwen2.5:7b")),
        ("openai:llama3:8b", ("openai", "llama3:8b")),
        ("anthropic:claude-x", ("anthropic", "claude-x")),
    ],
)
def test_provider_prefix_or_openai_by_default(llm: str, expected: tuple[str, str]) -> None:
    assert provider_of(llm) == expected


def test_a_model_tag_without_provider_goes_to_the_compatible_server() -> None:
    model = build_chat_model(fake.settings(llm="qwen2.5:7b"))
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "qwen2.5:7b"
    assert model.openai_api_base == fake.BASE_URL


def test_local_server_needs_no_key() -> None:
    model = build_chat_model(fake.settings(OPENAI_API_KEY=None))
    assert isinstance(model, ChatOpenAI)


def test_openai_without_key_or_server_is_a_clear_config_error() -> None:
    with pytest.raises(ChatModelConfigError, match="OPENAI_API_KEY"):
        build_chat_model(fake.settings(OPENAI_API_KEY=None, OPENAI_BASE_URL=None))


def test_provider_without_its_package_is_a_clear_config_error() -> None:
    with pytest.raises(ChatModelConfigError, match="not installed") as info:
        build_chat_model(fake.settings(llm="cohere:command-r"))
    # The OpenAI key is for the OpenAI client only and never part of an error.
    assert fake.API_KEY not in str(info.value)


async def test_non_streaming_call_reaches_the_configured_server_with_the_key(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(200, json=fake.completion_json("Hello there."))
    )
    model = build_chat_model(fake.settings())
    assert model is not None
    answer = await model.ainvoke([HumanMessage("Hi")], stream=False)
    assert answer.content == "Hello there."
    assert route.call_count == 1
    assert route.calls.last.request.headers["authorization"] == f"Bearer {fake.API_KEY}"


async def test_streaming_invoke_joins_the_deltas(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(fake.CHAT_URL).mock(return_value=fake.stream_response(["Hel", "lo."]))
    model = build_chat_model(fake.settings())
    assert model is not None
    answer = await model.ainvoke([HumanMessage("Hi")])
    assert answer.content == "Hello."
