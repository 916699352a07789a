"""Settings layers resolved per field path, and provider pins that belong to their model —
through the real server, with the request bodies the emulator received."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from tests.support.chat import chat, chat_error, last_chat_request, upstream_data
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session

GET = "openrouter/settings/get"
UPDATE = "openrouter/settings/update"
HAIKU = "anthropic/claude-haiku-4.5"  # the emulator serves it from anthropic, amazon-bedrock, …
GPT = "openai/gpt-4o"  # … and this one from openai and azure only


async def update(session: LspSession, **patch: Any) -> dict[str, Any]:
    view: dict[str, Any] = await session.call(UPDATE, {"patch": patch})
    return view


async def start(home: Path, **options: Any) -> LspSession:
    return await start_session(home, server_env(home, OPENROUTER_API_KEY=TEST_KEY), **options)


async def sent_provider(session: LspSession, emulator: Any) -> dict[str, Any]:
    await chat(session, maxTokens=4)
    body = last_chat_request(emulator)["body"]
    return dict(body.get("provider", {}))


async def test_an_update_of_one_field_keeps_the_editors_value_of_another(
    home: Path, emulator: Any
) -> None:
    session = await start(
        home, initialization_options={"openrouter": {"routing": {"dataPolicy": "deny"}}}
    )
    try:
        view = await update(session, routing={"sort": "latency"})
        assert view["routing"]["sort"] == "latency" and view["routing"]["dataPolicy"] == "deny"
        provider = await sent_provider(session, emulator)
        assert provider["sort"] == "latency" and provider["data_collection"] == "deny"
    finally:
        await stop_session(session)


async def test_null_in_an_update_falls_back_to_the_editor_value(home: Path) -> None:
    session = await start(
        home, initialization_options={"openrouter": {"routing": {"dataPolicy": "deny"}}}
    )
    try:
        assert (await update(session, routing={"dataPolicy": "allow"}))["routing"][
            "dataPolicy"
        ] == "allow"  # the explicit update wins over the editor's value
        view = await update(session, routing={"dataPolicy": None})
        assert view["routing"]["dataPolicy"] == "deny"
    finally:
        await stop_session(session)


async def test_a_changed_editor_value_takes_over_from_an_explicit_update(home: Path) -> None:
    session = await start(home, configuration={"openrouter": {"routing": {"sort": "price"}}})
    try:
        await session.wait_notified("openrouter/settings/didChange")
        assert (await update(session, routing={"sort": "latency"}))["routing"]["sort"] == "latency"
        # Re-sending the same editor configuration changes nothing ...
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        assert (await session.call(GET))["routing"]["sort"] == "latency"
        # ... a new editor value for that field is the newest intention.
        session.client.set_configuration({"routing": {"sort": "throughput"}}, section="openrouter")
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        changed = await session.wait_notified("openrouter/settings/didChange", 3)
        assert changed[-1]["routing"]["sort"] == "throughput"
    finally:
        await stop_session(session)


async def test_a_pin_belongs_to_the_model_it_was_chosen_for(home: Path, emulator: Any) -> None:
    session = await start(home)
    try:
        view = await update(
            session, modelId=HAIKU, routing={"provider": "amazon-bedrock", "allowFallbacks": False}
        )
        assert view["routing"]["provider"] == "amazon-bedrock"
        assert view["providerPin"] == {"provider": "amazon-bedrock", "state": "ok", "message": None}
        assert (await sent_provider(session, emulator))["order"] == ["amazon-bedrock"]

        view = await update(session, modelId=GPT)  # Bedrock does not serve it
        assert view["routing"]["provider"] is None and view["providerPin"]["state"] == "none"
        provider = await sent_provider(session, emulator)
        assert "order" not in provider and "only" not in provider

        view = await update(session, routing={"provider": "azure"})
        assert view["providerPin"]["state"] == "ok"
        view = await update(session, modelId=HAIKU)  # back: the user's pin for it returns
        assert view["routing"]["provider"] == "amazon-bedrock"
        view = await update(session, modelId=GPT)
        assert view["routing"]["provider"] == "azure"
        on_disk = json.loads((home / "settings.json").read_text())
        assert on_disk["providerPins"] == {HAIKU: "amazon-bedrock", GPT: "azure"}
    finally:
        await stop_session(session)


async def test_a_pin_the_model_does_not_serve_is_reported_and_not_sent(
    home: Path, emulator: Any
) -> None:
    """A file from before pins were per model: its pin applies to its model, which no longer
    lists that provider."""
    settings = json.loads((home / "settings.json").read_text())
    settings.update(modelId=GPT, routing={"provider": "amazon-bedrock", "allowFallbacks": False})
    (home / "settings.json").write_text(json.dumps(settings))
    session = await start(home)
    try:
        await chat(session, maxTokens=4)
        provider = last_chat_request(emulator)["body"].get("provider", {})
        assert "order" not in provider and "only" not in provider
        pin = (await session.call(GET))["providerPin"]
        assert pin["state"] == "not_served" and pin["provider"] == "amazon-bedrock"
        assert "amazon-bedrock does not serve openai/gpt-4o" in pin["message"]
    finally:
        await stop_session(session)


async def test_no_allowed_providers_names_the_pinned_provider(home: Path, emulator: Any) -> None:
    session = await start(home)
    try:
        await update(session, modelId=HAIKU, routing={"provider": "amazon-bedrock"})
        emulator.add_fault(
            route="/chat/completions",
            status=404,
            body={"error": {"code": 404, "message": "No allowed providers are available for "
                            "the selected model."}},
        )
        data = upstream_data(await chat_error(session, maxTokens=4))
        assert "pinned provider amazon-bedrock" in data["message"]
        assert "base URL" not in data["message"]
        assert data["providerName"] == "amazon-bedrock"
    finally:
        await stop_session(session)


async def test_the_new_settings_resolve_per_field_path(home: Path, emulator: Any) -> None:
    """`routing.maxPrice.prompt` and `.completion` are separate fields; a list is one field."""
    options = {
        "openrouter": {
            "routing": {"maxPrice": {"prompt": 2}, "ignore": ["azure"]},
            "fallbackModels": ["mistralai/mistral-nemo"],
            "reasoningEffort": "loud",  # invalid: skipped, the others stay
        }
    }
    session = await start(home, initialization_options=options)
    try:
        view = await update(
            session, routing={"maxPrice": {"completion": 8}}, fallbackModels=[HAIKU]
        )
        assert view["routing"]["maxPrice"] == {"prompt": 2, "completion": 8}
        assert view["fallbackModels"] == [HAIKU]  # the whole list, not merged
        assert view["reasoningEffort"] == "default"
        await chat(session, maxTokens=4, modelId=GPT)
        body = last_chat_request(emulator)["body"]
        assert body["provider"]["max_price"] == {"prompt": "2", "completion": "8"}
        assert body["provider"]["ignore"] == ["azure"]
        assert body["models"] == [GPT, HAIKU]
        view = await update(session, routing={"maxPrice": None}, fallbackModels=None)
        assert view["routing"]["maxPrice"] == {"prompt": 2, "completion": None}
        assert view["fallbackModels"] == ["mistralai/mistral-nemo"]  # the editor's value again
    finally:
        await stop_session(session)
