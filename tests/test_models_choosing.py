"""Choosing a model: the info card's fields, the provider table's, ranked search, filters, sorts
and favourites in `openrouter/models/list` — end to end through the real server and emulator,
compared with the emulator's catalogue (the real 2026-06 snapshot plus the current fields)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import LspSession, server_env, start_session, stop_session

from openrouter_emulator.catalogue import load_catalogue
from openrouter_lsp.openrouter.catalogue import cache_path
from openrouter_lsp.openrouter.model_search import (
    INSIDE,
    MAX_QUERY_WORDS,
    WHOLE_WORD,
    SearchIndex,
    facets_of,
    query_words,
    relevance,
    select,
)
from openrouter_lsp.openrouter.models_parse import ALL_EFFORTS, parse_endpoint, parse_model
from openrouter_lsp.protocol import ModelsListParams

LIST = "openrouter/models/list"
ENDPOINTS = "openrouter/models/endpoints"
UPDATE = "openrouter/settings/update"
GET = "openrouter/settings/get"


def upstream() -> dict[str, dict[str, Any]]:
    """What the emulator's /models serves, by id (captured entries plus `reasoning`)."""
    return {m["id"]: m for m in load_catalogue().models}


def ids(result: dict[str, Any]) -> list[str]:
    return [m["id"] for m in result["models"]]


def per_million(value: str | None) -> float | None:
    if value is None or Decimal(value) < 0:
        return None
    return float(Decimal(value) * 1_000_000)


# --- the info card ---


@pytest.mark.parametrize(
    "model_id",
    ["anthropic/claude-sonnet-4.5", "openai/gpt-4o-mini", "openai/gpt-5", "z-ai/glm-5.2"],
)
async def test_card_fields_of_known_models_match_the_catalogue(
    lsp: LspSession, model_id: str
) -> None:
    raw = upstream()[model_id]
    card = {m["id"]: m for m in (await lsp.call(LIST, {}))["models"]}[model_id]
    assert card["maxCompletionTokens"] == raw["top_provider"]["max_completion_tokens"]
    assert card["inputModalities"] == raw["architecture"]["input_modalities"]
    assert card["outputModalities"] == raw["architecture"]["output_modalities"]
    assert card["supportsTools"] is ("tools" in raw["supported_parameters"])
    reasoning = raw.get("reasoning")
    assert card["supportsReasoning"] is (reasoning is not None)
    assert (reasoning is None) is (model_id == "openai/gpt-4o-mini")
    if reasoning is None:
        assert card["supportedEfforts"] == [] and card["defaultEffort"] is None
        assert card["reasoningMandatory"] is False
    else:
        assert card["supportedEfforts"] == reasoning["supported_efforts"]
        assert card["defaultEffort"] == reasoning["default_effort"]
        assert card["reasoningMandatory"] is reasoning["mandatory"]
    assert card["pricing"]["cacheRead"] == per_million(raw["pricing"].get("input_cache_read"))
    assert card["pricing"]["cacheWrite"] == per_million(raw["pricing"].get("input_cache_write"))
    created = datetime.fromisoformat(card["created"])
    assert created == datetime.fromtimestamp(raw["created"], tz=timezone.utc)
    assert card["variablePricing"] is False and card["pricingNote"] is None


async def test_card_fields_hold_for_every_model(lsp: LspSession) -> None:
    raw = upstream()
    for card in (await lsp.call(LIST, {}))["models"]:
        entry = raw[card["id"]]
        params = entry["supported_parameters"]
        assert card["supportsTools"] is ("tools" in params), card["id"]
        if "reasoning" in entry:
            assert card["supportedEfforts"] == entry["reasoning"]["supported_efforts"]
            assert card["reasoningMandatory"] is entry["reasoning"]["mandatory"]
        else:
            assert card["supportedEfforts"] == [] and card["defaultEffort"] is None
            assert card["supportsReasoning"] is ("include_reasoning" in params)
        assert card["maxCompletionTokens"] == entry["top_provider"]["max_completion_tokens"]


async def test_variable_price_routers_are_flagged_and_explained(lsp: LspSession) -> None:
    by_id = {m["id"]: m for m in (await lsp.call(LIST, {}))["models"]}
    auto = by_id["openrouter/auto"]
    assert auto["variablePricing"] is True
    assert auto["pricing"]["prompt"] is None and auto["pricing"]["completion"] is None
    assert "No fixed price" in auto["pricingNote"] and "routed" in auto["pricingNote"]
    assert auto["outputModalities"] == ["text", "image"]
    variable = {i for i, m in by_id.items() if m["variablePricing"]}
    assert variable == {
        i for i, m in upstream().items() if str(m["pricing"]["prompt"]).startswith("-")
    }
    # A router with a fixed (zero) price is not variable: it is free.
    free_router = by_id["openrouter/free"]
    assert free_router["variablePricing"] is False and free_router["isFree"] is True


def test_reasoning_metadata_falls_back_to_the_supported_parameters() -> None:
    """A catalogue without `reasoning` objects (the 2026-06 capture itself): efforts are the
    gateway's, nothing is mandatory."""
    base = {"id": "a/b", "name": "B", "supported_parameters": ["reasoning", "tools"]}
    model = parse_model(base)
    assert model is not None and model.supports_reasoning and model.supports_tools
    assert model.supported_efforts == ALL_EFFORTS
    assert model.default_effort is None and model.reasoning_mandatory is False
    plain = parse_model({**base, "supported_parameters": ["temperature"]})
    assert plain is not None and not plain.supports_reasoning and plain.supported_efforts == []
    # `supported_efforts: null` is "no allowlist"; junk entries are dropped.
    listed = parse_model({**base, "reasoning": {"supported_efforts": None, "mandatory": True}})
    assert listed is not None and listed.supported_efforts == ALL_EFFORTS
    assert listed.reasoning_mandatory is True
    odd = parse_model(
        {**base, "reasoning": {"supported_efforts": ["high", 3, "", "x" * 99], "default_effort": 7}}
    )
    assert odd is not None and odd.supported_efforts == ["high"] and odd.default_effort is None
    # Absurd upstream numbers become absent, never an error.
    for created in (1e999, -5, "soon", 10**30):
        dated = parse_model({**base, "created": created})
        assert dated is not None and dated.created is None


# --- the provider table ---


async def test_endpoint_uptime_latency_throughput_and_implicit_caching(lsp: LspSession) -> None:
    real = await lsp.call(ENDPOINTS, {"modelId": "openai/gpt-4o"})
    sample = load_catalogue().endpoints("openai/gpt-4o")
    assert sample is not None
    for row, raw in zip(real["providers"], sample["endpoints"], strict=True):
        assert row["uptimeLast1d"] == raw["uptime_last_1d"]
        assert row["supportsImplicitCaching"] is raw["supports_implicit_caching"]
        assert row["latencyP50"] is None and row["throughputP50"] is None  # null in the capture
    model_id = "deepseek/deepseek-chat-v3.1"
    synthetic = await lsp.call(ENDPOINTS, {"modelId": model_id})
    raw_rows = load_catalogue().endpoints(model_id)
    assert raw_rows is not None
    for row, raw in zip(synthetic["providers"], raw_rows["endpoints"], strict=True):
        assert row["latencyP50"] == raw["latency_last_30m"]["p50"]
        assert row["throughputP50"] == raw["throughput_last_30m"]["p50"]
        assert row["uptimeLast30m"] == raw["uptime_last_30m"]
        assert row["supportsImplicitCaching"] is raw["supports_implicit_caching"]


def test_endpoint_fields_that_make_no_sense_are_absent() -> None:
    row = parse_endpoint(
        {
            "tag": "x",
            "latency_last_30m": {"p50": float("nan")},
            "throughput_last_30m": {"p50": True},
            "uptime_last_1d": -3,
            "supports_implicit_caching": "yes",
        }
    )
    assert row is not None
    assert row.latency_p50 is None and row.throughput_p50 is None
    assert row.uptime_last1d is None and row.supports_implicit_caching is None


# --- ranked search ---


async def test_whole_words_and_id_segments_rank_before_substrings(lsp: LspSession) -> None:
    found = ids(await lsp.call(LIST, {"query": "mini"}))
    gemini = [i for i in found if "gemini" in i]
    assert gemini, "Gemini models still match 'mini' as a substring"
    assert found.index("openai/gpt-4o-mini") < found.index(gemini[0])
    # Every whole-word match comes before every match inside a word.
    scores = [relevance(facets_of_id(i), ["mini"], "mini") for i in found]
    assert scores == sorted(scores) and scores[0] == WHOLE_WORD and scores[-1] == INSIDE


def facets_of_id(model_id: str) -> Any:
    model = parse_model(upstream()[model_id])
    assert model is not None
    return facets_of(model)


async def test_an_exact_id_or_name_comes_first(lsp: LspSession) -> None:
    assert ids(await lsp.call(LIST, {"query": "gpt-4o"}))[0] == "openai/gpt-4o"
    assert ids(await lsp.call(LIST, {"query": "OpenAI/GPT-4o-mini"}))[0] == "openai/gpt-4o-mini"
    name = upstream()["anthropic/claude-sonnet-4.5"]["name"]
    assert ids(await lsp.call(LIST, {"query": f"  {name.upper()} "}))[0] == (
        "anthropic/claude-sonnet-4.5"
    )


async def test_every_word_of_the_query_must_match(lsp: LspSession) -> None:
    found = (await lsp.call(LIST, {"query": "sonnet claude"}))["models"]
    assert found and all(
        "sonnet" in (m["id"] + m["name"]).lower() and "claude" in (m["id"] + m["name"]).lower()
        for m in found
    )
    # A word that names no model finds nothing (no fuzzy guesses), and that is not an error.
    assert (await lsp.call(LIST, {"query": "cheap"}))["models"] == []


async def test_a_long_repetitive_query_is_cheap_and_means_its_distinct_words(
    lsp: LspSession,
) -> None:
    assert query_words("a b a c b") == ["a", "b", "c"]
    assert len(query_words(" ".join(f"w{i}" for i in range(50)))) == MAX_QUERY_WORDS
    longest = ("e " * 128).strip()  # 255 characters: within the 256 limit
    single = ids(await lsp.call(LIST, {"query": "e"}))
    assert single and ids(await lsp.call(LIST, {"query": longest})) == single


# --- filters ---


async def _all(lsp: LspSession) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in (await lsp.call(LIST, {}))["models"]}


@pytest.mark.parametrize(
    ("params", "keeps"),
    [
        ({"free": True}, lambda m: m["isFree"]),
        ({"imageInput": True}, lambda m: "image" in m["inputModalities"]),
        ({"tools": True}, lambda m: m["supportsTools"]),
        ({"reasoning": True}, lambda m: m["supportsReasoning"]),
        ({"caching": True}, lambda m: m["pricing"]["cacheRead"] or m["pricing"]["cacheWrite"]),
        ({"minContext": 1_000_000}, lambda m: (m["contextLength"] or 0) >= 1_000_000),
        (
            {"maxPromptPrice": 0.5},
            lambda m: m["pricing"]["prompt"] is not None and m["pricing"]["prompt"] <= 0.5,
        ),
        (
            {"free": False, "tools": True, "reasoning": True, "imageInput": True},
            lambda m: m["supportsTools"] and m["supportsReasoning"] and m["supportsImages"],
        ),
    ],
    ids=["free", "image", "tools", "reasoning", "caching", "context", "price", "combined"],
)
async def test_each_filter_keeps_exactly_the_models_it_names(
    lsp: LspSession, params: dict[str, Any], keeps: Any
) -> None:
    everything = await _all(lsp)
    expected = [i for i, m in everything.items() if keeps(m)]
    assert 0 < len(expected) < len(everything)
    assert ids(await lsp.call(LIST, params)) == expected  # catalogue order kept


async def test_filters_combine_with_the_query(lsp: LspSession) -> None:
    found = (await lsp.call(LIST, {"query": "gpt", "imageInput": True, "maxPromptPrice": 1}))[
        "models"
    ]
    assert found and all(
        "gpt" in m["id"] and m["supportsImages"] and m["pricing"]["prompt"] <= 1 for m in found
    )


# --- sorts ---


async def test_sort_by_price_puts_the_cheapest_first_and_unknown_prices_last(
    lsp: LspSession,
) -> None:
    models = (await lsp.call(LIST, {"sort": "price"}))["models"]
    assert len(models) == 337
    prices = [m["pricing"]["prompt"] for m in models]
    known = [p for p in prices if p is not None]
    assert known == sorted(known) and prices[: len(known)] == known
    assert models[-1]["variablePricing"] or models[-1]["pricing"]["prompt"] is None


async def test_sort_by_context_and_by_newest(lsp: LspSession) -> None:
    by_context = [m["contextLength"] or 0 for m in (await lsp.call(LIST, {"sort": "context"}))[
        "models"
    ]]
    assert by_context == sorted(by_context, reverse=True)
    newest = [m["created"] for m in (await lsp.call(LIST, {"sort": "newest"}))["models"]]
    assert newest == sorted(newest, reverse=True)
    assert ids(await lsp.call(LIST, {"sort": "newest"}))[0] == max(
        upstream().values(), key=lambda m: m["created"]
    )["id"]


async def test_default_order_is_the_catalogue_s_and_a_sort_applies_to_a_search(
    lsp: LspSession,
) -> None:
    assert ids(await lsp.call(LIST, {"sort": "default"})) == list(upstream())
    found = (await lsp.call(LIST, {"query": "claude", "sort": "price"}))["models"]
    prices = [m["pricing"]["prompt"] for m in found]
    assert len(found) > 3 and prices == sorted(prices)


# --- paging ---


async def test_pages_put_together_are_the_whole_list_in_every_order(lsp: LspSession) -> None:
    for params in ({}, {"query": "gpt"}, {"sort": "price", "tools": True}):
        whole = await lsp.call(LIST, params)
        assert whole["total"] == len(whole["models"]) > 40
        pages = []
        for offset in range(0, whole["total"] + 40, 40):
            page = await lsp.call(LIST, {**params, "limit": 40, "offset": offset})
            assert page["total"] == whole["total"] and len(page["models"]) <= 40
            pages.extend(page["models"])
        assert pages == whole["models"], params


async def test_a_page_past_the_end_is_empty_and_still_counts_the_matches(
    lsp: LspSession,
) -> None:
    page = await lsp.call(LIST, {"query": "claude", "limit": 5, "offset": 10_000})
    assert page["models"] == [] and page["total"] > 5
    first = await lsp.call(LIST, {"query": "claude", "limit": 5})
    assert len(first["models"]) == 5 and first["total"] == page["total"]
    assert (await lsp.call(LIST, {"limit": 1}))["models"][0]["id"] == next(iter(upstream()))


async def test_favourites_lead_the_first_page(lsp: LspSession) -> None:
    await lsp.call(UPDATE, {"patch": {"favoriteModels": ["z-ai/glm-5.2"]}})
    first = await lsp.call(LIST, {"limit": 3})
    assert ids(first)[0] == "z-ai/glm-5.2" and first["total"] == 337
    second = await lsp.call(LIST, {"limit": 3, "offset": 3})
    assert "z-ai/glm-5.2" not in ids(second)


def test_ranking_over_the_whole_catalogue_agrees_with_each_model_s_relevance() -> None:
    """`select`'s columns and bounded keys give the order `relevance` defines, model by model
    (every ranked word kind: plain, with punctuation, exact ids and names, several words)."""
    models = [m for m in map(parse_model, upstream().values()) if m is not None]
    facets = [facets_of(m) for m in models]
    index = SearchIndex(facets)
    by_id = {m.id: i for i, m in enumerate(models)}
    queries = ["mini", "gpt 4o", "4o-mini", "openai/gpt-4o", "claude sonnet", "3.5", "o", "v1:",
               models[7].name.casefold(), "llama 70b instruct", "ü", "nothing-like-this"]
    for query in queries:
        words = query_words(query)
        scored = [(relevance(f, words, query), i) for i, f in enumerate(facets)]
        expected = [i for score, i in sorted(s for s in scored if s[0] is not None)]
        assert list(select(index, ModelsListParams(), query, [], by_id) or []) == expected, query
    assert select(index, ModelsListParams(), "3.5", [], by_id), "the queries match something"


# --- favourites ---

FAVOURITES = ["z-ai/glm-5.2", "openai/gpt-4o-mini", "nobody/not-listed"]


async def test_favourites_come_first_in_every_order(lsp: LspSession) -> None:
    view = await lsp.call(UPDATE, {"patch": {"favoriteModels": FAVOURITES}})
    assert view["favoriteModels"] == FAVOURITES
    plain = ids(await lsp.call(LIST, {}))
    assert set(plain[:2]) == set(FAVOURITES[:2]) and len(plain) == 337
    assert plain[2:] == [i for i in upstream() if i not in FAVOURITES]
    cheapest = (await lsp.call(LIST, {"sort": "price"}))["models"]
    assert [m["id"] for m in cheapest[:2]] == ["openai/gpt-4o-mini", "z-ai/glm-5.2"]
    rest = [m["pricing"]["prompt"] for m in cheapest[2:] if m["pricing"]["prompt"] is not None]
    assert rest == sorted(rest)
    # A favourite the search or a filter leaves out stays out.
    searched = ids(await lsp.call(LIST, {"query": "gpt"}))
    assert searched[0] == "openai/gpt-4o-mini" and "z-ai/glm-5.2" not in searched
    assert ids(await lsp.call(LIST, {"imageInput": True}))[0] == "openai/gpt-4o-mini"
    # Cleared with null.
    assert (await lsp.call(UPDATE, {"patch": {"favoriteModels": None}}))["favoriteModels"] == []
    assert ids(await lsp.call(LIST, {})) == list(upstream())


async def test_favourites_persist_across_a_restart(home: Path) -> None:
    first = await start_session(home, server_env(home))
    try:
        await first.call(UPDATE, {"patch": {"favoriteModels": ["openai/gpt-5"]}})
    finally:
        await stop_session(first)
    assert json.loads((home / "settings.json").read_text())["favoriteModels"] == ["openai/gpt-5"]
    second = await start_session(home, server_env(home))
    try:
        assert (await second.call(GET))["favoriteModels"] == ["openai/gpt-5"]
        assert ids(await second.call(LIST, {}))[0] == "openai/gpt-5"
    finally:
        await stop_session(second)


@pytest.mark.parametrize(
    ("favourites", "path", "words"),
    [
        (["openai/gpt-4o", "has space"], "favoriteModels[1]", "spaces"),
        ([""], "favoriteModels[0]", "empty"),
        (["openai/gpt-4o", "openai/gpt-4o"], "favoriteModels[1]", "twice"),
        (["a/" + "b" * 300], "favoriteModels[0]", "too long"),
        ([f"a/m{i}" for i in range(201)], "favoriteModels", "too many"),
        ("openai/gpt-4o", "favoriteModels", "array"),
        ([42], "favoriteModels[0]", "string"),
    ],
    ids=["space", "empty", "twice", "long", "many", "not-a-list", "not-a-string"],
)
async def test_bad_favourites_are_refused_naming_the_entry(
    lsp: LspSession, favourites: Any, path: str, words: str
) -> None:
    error = await lsp.call_error(UPDATE, {"patch": {"favoriteModels": favourites}})
    assert error.code == -32602
    entries = {e["path"]: e["message"] for e in error.data["errors"]}
    assert path in entries and words in entries[path], entries
    assert (await lsp.call(GET))["favoriteModels"] == []


# --- bad params ---


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"sort": None}, "sort"),
        ({"free": "yes"}, "free"),
        ({"imageInput": 1}, "imageInput"),
        ({"tools": None}, "tools"),
        ({"reasoning": []}, "reasoning"),
        ({"caching": "true"}, "caching"),
        ({"minContext": -1}, "minContext"),
        ({"minContext": 1.5}, "minContext"),
        ({"minContext": "1000"}, "minContext"),
        ({"maxPromptPrice": -0.01}, "maxPromptPrice"),
        ({"maxPromptPrice": "1"}, "maxPromptPrice"),
        ({"maxPromptPrice": 2e6}, "maxPromptPrice"),
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"limit": "100"}, "limit"),
        ({"limit": 10**9}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": None}, "offset"),
        ({"offset": "1"}, "offset"),
    ],
)
async def test_bad_list_params_are_invalid_params_naming_the_field(
    lsp_no_key: LspSession, params: dict[str, Any], path: str
) -> None:
    error = await lsp_no_key.call_error(LIST, params)
    assert error.code == -32602
    assert path in [e["path"] for e in error.data["errors"]], error.data


# --- the disk cache ---


async def test_a_cache_written_before_the_card_fields_is_refetched(
    home: Path, emulator: Any
) -> None:
    """A format-1 cache (models without the card's fields) is not served: fetched afresh."""
    old_model = {"id": "old/model", "name": "Old", "description": "", "contextLength": 1}
    document = {
        "format": 1, "baseUrl": emulator.base_url, "fetchedAt": time.time(), "models": [old_model]
    }
    cache = cache_path(home, emulator.base_url)
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(document))
    session = await start_session(home, server_env(home))
    try:
        result = await session.call(LIST, {})
    finally:
        await stop_session(session)
    assert len(result["models"]) == 337 and "supportedEfforts" in result["models"][0]
    assert [r for r in emulator.requests() if r["path"].endswith("/models")]
    assert json.loads(cache.read_text())["format"] == 2


# --- by id (a card asks for the chosen model without paging through the list) ---


async def test_ids_list_only_those_models_and_leave_out_unknown_ones(lsp: LspSession) -> None:
    catalogue = list(upstream())
    wanted = [catalogue[300], "nobody/not-listed", catalogue[5], catalogue[300]]
    found = await lsp.call(LIST, {"ids": wanted, "limit": 100})
    # Catalogue order, each once; the id the catalogue does not list is simply absent.
    assert ids(found) == [catalogue[5], catalogue[300]] and found["total"] == 2
    assert found["models"][1] == (await lsp.call(LIST, {"limit": 1, "offset": 300}))["models"][0]
    assert (await lsp.call(LIST, {"ids": ["nobody/not-listed"]})) | {"fetchedAt": ""} == {
        "models": [], "total": 0, "fetchedAt": "", "stale": False
    }
    assert ids(await lsp.call(LIST, {"ids": []})) == []
    # null: every model, as without `ids`.
    assert len(ids(await lsp.call(LIST, {"ids": None}))) == len(catalogue)


async def test_ids_still_go_through_the_query_filters_favourites_and_paging(
    lsp: LspSession,
) -> None:
    catalogue = upstream()
    free = [i for i, m in catalogue.items() if i.endswith(":free")][:2]
    paid = [i for i in catalogue if not i.endswith(":free")][:2]
    assert len(free) == 2 and len(paid) == 2
    assert set(ids(await lsp.call(LIST, {"ids": free + paid, "free": True}))) == set(free)
    both = free + paid
    assert ids(await lsp.call(LIST, {"ids": both, "query": "nothing-like-this"})) == []
    page = await lsp.call(LIST, {"ids": both, "limit": 1, "offset": 1})
    assert page["total"] == 4 and len(page["models"]) == 1
    await lsp.call(UPDATE, {"patch": {"favoriteModels": [paid[1]]}})
    assert ids(await lsp.call(LIST, {"ids": both}))[0] == paid[1]
    newest = ids(await lsp.call(LIST, {"ids": free + paid[:1], "sort": "newest"}))
    assert newest == sorted(free + paid[:1], key=lambda i: catalogue[i]["created"], reverse=True)
    # A list asked by id keeps the picker's pages: the next page is the same order.
    first = await lsp.call(LIST, {"query": "gpt", "limit": 5})
    await lsp.call(LIST, {"ids": both})
    assert ids(await lsp.call(LIST, {"query": "gpt", "limit": 5})) == ids(first)


@pytest.mark.parametrize(
    ("value", "path", "words"),
    [
        (["openai/gpt-4o", 42], "ids[1]", "string"),
        (["a/" + "b" * 300], "ids[0]", "too long"),
        ([f"a/m{i}" for i in range(101)], "ids", "too many"),
        ("openai/gpt-4o", "ids", "array"),
    ],
    ids=["not-a-string", "long", "many", "not-a-list"],
)
async def test_bad_ids_are_invalid_params_naming_the_entry(
    lsp_no_key: LspSession, value: Any, path: str, words: str
) -> None:
    error = await lsp_no_key.call_error(LIST, {"ids": value})
    assert error.code == -32602
    entries = {e["path"]: e["message"] for e in error.data["errors"]}
    assert path in entries and words in entries[path], entries
