"""`openrouter-lsp demo`: the README's main job, through the real server over the real protocol.

By default it starts the embedded OpenRouter emulator and a server with a throw-away state
folder, then shows the settings, the model catalogue with prices, the chosen model's providers,
the account, and a streamed chat. With `--no-emulator` and `OPENROUTER_API_KEY` set it talks to
OpenRouter itself, using your real settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from .lsp_client import RpcError, StdioLspClient

DEMO_KEY = "sk-or-v1-demo-key-for-the-local-emulator"


def _price(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.2f}"


def _print_models(models: list[dict[str, Any]], fetched_at: str, stale: bool, limit: int) -> None:
    print(f"\n== Models: {len(models)} (fetched {fetched_at}{', STALE' if stale else ''}) ==")
    print(f"{'id':<48} {'context':>9}  {'in $/M':>6}  {'out $/M':>7}  cache")
    for model in models[:limit]:
        pricing = model["pricing"]
        context = model["contextLength"]
        print(
            f"{model['id'][:48]:<48} {context if context else '-':>9}  "
            f"{_price(pricing['prompt'])}  {_price(pricing['completion']):>7}  "
            f"{'yes' if model['supportsPromptCaching'] else ''}"
        )
    if len(models) > limit:
        print(f"... and {len(models) - limit} more (use --query to filter)")


@contextlib.contextmanager
def _maybe_emulator(enabled: bool) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    from openrouter_emulator import run_in_thread

    with run_in_thread(tokens_per_second=400) as emulator:
        yield emulator.base_url


async def run(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(_maybe_emulator(not args.no_emulator))
        env: dict[str, str] = {}
        if base_url is not None:
            env["OPENROUTER_LSP_HOME"] = stack.enter_context(tempfile.TemporaryDirectory())
            env["OPENROUTER_LSP_NO_KEYRING"] = "1"
            env["OPENROUTER_API_KEY"] = DEMO_KEY
            print(f"Embedded OpenRouter emulator (synthetic replies) at {base_url}")
        elif not os.environ.get("OPENROUTER_API_KEY"):
            print("--no-emulator needs OPENROUTER_API_KEY in the environment.", file=sys.stderr)
            return 2
        client = await StdioLspClient.start(env=env)
        try:
            return await _session(client, args, base_url)
        except RpcError as exc:
            print(f"\nError {exc.code}: {exc}\n{exc.data}", file=sys.stderr)
            return 1
        finally:
            await client.close()
    return 0


async def _session(client: StdioLspClient, args: argparse.Namespace, base_url: str | None) -> int:
    info = await client.initialize()
    print(
        f"Server: {info['serverInfo']['name']} {info['serverInfo']['version']} (pid {client.pid})"
    )
    if base_url is not None:
        patch = {"useCustomBaseUrl": True, "customBaseUrl": base_url, "modelId": args.model}
        await client.request("openrouter/settings/update", {"patch": patch})
    settings = await client.request("openrouter/settings/get", {})
    key = settings["apiKey"]
    print("\n== Settings ==")
    print(f"provider        {settings['provider']}")
    print(f"model           {settings['modelId']}")
    print(f"base URL        {settings['effectiveBaseUrl']}")
    print(f"middle-out      {settings['middleOutTransform']}")
    routing = settings["routing"]
    print(
        f"routing         sort={routing['sort']} provider={routing['provider']} "
        f"data policy={routing['dataPolicy']}"
    )
    print(f"prompt caching  {settings['promptCaching']}")
    print(
        f"API key         {key['hint']} (from {key['source']})"
        if key["isSet"]
        else "API key  not set"
    )

    listing = await client.request("openrouter/models/list", {"query": args.query or None})
    _print_models(listing["models"], listing["fetchedAt"], listing["stale"], args.limit)

    model_id = settings["modelId"]
    endpoints = await client.request("openrouter/models/endpoints", {"modelId": model_id})
    print(f"\n== Providers of {model_id} ==")
    for provider in endpoints["providers"]:
        prices = provider["pricing"]
        print(
            f"{provider['tag']:<28} {provider['providerName']:<20} "
            f"in {_price(prices['prompt'])} out {_price(prices['completion'])}"
        )

    account = await client.request("openrouter/account/get", {})
    balance = account["balanceUsd"]
    source = {"credits": "account credits", "key_limit": "key limit"}.get(
        account["balanceSource"], ""
    )
    print(
        f"\n== Account == {account['label']}: usage ${account['usage']}, "
        f"{'balance unknown' if balance is None else f'balance ${balance:.2f} ({source})'}"
    )
    return await _chat(client, args.prompt)


async def _chat(client: StdioLspClient, prompt: str) -> int:
    print(f"\n== Chat ==\n> {prompt}\n")
    token = f"demo-chat-{client.request_id()}"

    def on_notification(method: str, params: Any) -> None:
        if method == "$/progress" and params.get("token") == token:
            value = params["value"]
            sys.stdout.write(value.get("reasoning") or "")
            sys.stdout.write(value.get("content") or "")
            sys.stdout.flush()

    client.on_notification = on_notification
    result = await client.request(
        "openrouter/chat",
        {"messages": [{"role": "user", "content": prompt}], "partialResultToken": token},
    )
    usage = result["usage"]
    cost = usage["costUsd"]
    print(
        f"\n\n[model {result['model']} | provider {result['provider']} | "
        f"{usage['promptTokens']} prompt + {usage['completionTokens']} completion tokens"
        f"{' (' + str(usage['cachedTokens']) + ' cached)' if usage['cachedTokens'] else ''} | "
        f"cost {'unknown' if cost is None else f'${cost:.6f}'} | finish {result['finishReason']}]"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openrouter-lsp demo", description=__doc__)
    parser.add_argument("--prompt", default="Explain in two sentences what a language server is.")
    parser.add_argument("--model", default="anthropic/claude-sonnet-4.5")
    parser.add_argument("--query", default="claude", help="filter the model table ('' for all)")
    parser.add_argument("--limit", type=int, default=15, help="rows of the model table")
    parser.add_argument("--no-emulator", action="store_true", help="talk to OpenRouter itself")
    return asyncio.run(run(parser.parse_args(argv)))
