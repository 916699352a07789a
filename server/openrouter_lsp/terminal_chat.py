"""`openrouter-lsp chat`: an interactive chat in the terminal, through the real server.

The server keeps the conversation (`conversationId`), so the client sends only each new message.
Answers stream as they arrive. Ctrl-C stops the answer (`$/cancelRequest`), not the program;
Ctrl-D or `/quit` exits. The server runs in its own session, so the terminal's Ctrl-C never
reaches it. It uses your settings and key (the state folder, `OPENROUTER_API_KEY`), as an editor
would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import uuid
import webbrowser
from collections.abc import Iterator
from typing import Any

from .lsp_client import RpcError, StdioLspClient

REQUEST_CANCELLED = -32800
HELP = """Commands:
  /model [id]   show or change the model of this session
  /cost         tokens and cost of this conversation
  /new          start a new conversation
  /history      list past conversations
  /open <id|n>  open a past conversation (an id, or a number from /history) and continue it
  /signin       sign in with OpenRouter in the browser (the new key is stored)
  /quit         exit (or Ctrl-D); Ctrl-C stops an answer"""


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def _text(content: Any) -> str:
    """A message's content as text: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") if p.get("type") == "text" else "(image)"
            for p in content
            if isinstance(p, dict)
        )
    return ""


class TerminalChat:
    """One terminal session: the client, the conversation and the model it chats with."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: StdioLspClient) -> None:
        self.loop = loop
        self.client = client
        self.model_id: str | None = None  # None: the settings' model
        self.conversation_id = self.new_id()
        self.listed: list[str] = []  # ids from the last /history, for `/open <n>`
        self.client.on_notification = self._on_notification
        self._stream_token: str | None = None
        self._streamed = False
        self._sign_in: asyncio.Future[dict[str, Any]] | None = None

    @staticmethod
    def new_id() -> str:
        return f"terminal-{uuid.uuid4()}"

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def request(self, method: str, params: Any) -> Any:
        return self.run(self.client.request(method, params))

    # --- the answer --------------------------------------------------------------------------

    def _on_notification(self, method: str, params: Any) -> None:
        if method == "openrouter/signIn/didFinish":
            if self._sign_in is not None and not self._sign_in.done():
                self._sign_in.set_result(params)
            return
        if method != "$/progress" or params.get("token") != self._stream_token:
            return
        value = params.get("value") or {}
        text = value.get("content") or ""
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
            self._streamed = True

    def ask(self, question: str) -> None:
        msg_id = self.client.request_id()
        self._stream_token = f"terminal-chat-{msg_id}"
        self._streamed = False
        params: dict[str, Any] = {
            "messages": [{"role": "user", "content": question}],
            "conversationId": self.conversation_id,
            "partialResultToken": self._stream_token,
        }
        if self.model_id:
            params["modelId"] = self.model_id
        stopping: list[bool] = []

        def stop() -> None:  # Ctrl-C while the answer streams: stop the answer only
            if not stopping:
                stopping.append(True)
                self.client.notify("$/cancelRequest", {"id": msg_id})

        self.loop.add_signal_handler(signal.SIGINT, stop)
        try:
            result = self.run(self.client.request("openrouter/chat", params, msg_id))
        except RpcError as exc:
            if exc.code == REQUEST_CANCELLED:
                print("\n[stopped]")
            else:
                print(f"\n[error: {exc}]")
            return
        finally:
            self.loop.remove_signal_handler(signal.SIGINT)
            self._stream_token = None
        if not self._streamed:  # a server or model that did not stream
            sys.stdout.write(result.get("content") or "")
        usage = result.get("usage") or {}
        print(
            f"\n[{result.get('model')} | {usage.get('promptTokens', 0)} + "
            f"{usage.get('completionTokens', 0)} tokens | cost {_money(usage.get('costUsd'))}]"
        )

    # --- commands ----------------------------------------------------------------------------

    def command(self, line: str) -> bool:
        """Run a /command; False when the session should end."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        if name in ("/quit", "/exit"):
            return False
        handler = {
            "/model": self.set_model,
            "/cost": self.show_cost,
            "/new": self.start_new,
            "/history": self.show_history,
            "/open": self.open,
            "/signin": self.sign_in,
        }.get(name)
        if handler is None:
            print(HELP)
        else:
            handler(argument)
        return True

    def set_model(self, model_id: str) -> None:
        if not model_id:
            current = self.model_id or self.request("openrouter/settings/get", {})["modelId"]
            print(f"model: {current}")
            return
        models = self.request("openrouter/models/list", {"query": model_id})["models"]
        if not any(m["id"] == model_id for m in models):
            close = ", ".join(m["id"] for m in models[:5])
            print(f"unknown model {model_id}" + (f"; did you mean {close}?" if close else ""))
            return
        self.model_id = model_id
        print(f"model: {model_id}")

    def show_cost(self, _: str) -> None:
        try:
            got = self.request("openrouter/conversations/get",
                               {"conversationId": self.conversation_id})
        except RpcError:
            print("nothing spent in this conversation yet")
            return
        conversation = got["conversation"]
        totals = conversation["totals"]
        print(
            f"this conversation: {conversation['messageCount']} messages, "
            f"{totals['promptTokens']} prompt + {totals['completionTokens']} completion tokens, "
            f"cost {_money(totals['costUsd'])}"
        )

    def start_new(self, _: str) -> None:
        self.conversation_id = self.new_id()
        print("new conversation")

    def show_history(self, _: str) -> None:
        conversations = self.request("openrouter/conversations/list", {})["conversations"]
        self.listed = [c["id"] for c in conversations]
        if not conversations:
            print("no saved conversation yet")
        for number, c in enumerate(conversations, 1):
            print(
                f"{number:>3}. {c['title'] or '(untitled)'}  [{c['id']}]  {c['messageCount']} "
                f"messages, {c['updatedAt'][:16]}, {_money(c['totals']['costUsd'])}"
            )

    def open(self, argument: str) -> None:
        if not argument:
            print("usage: /open <id> (or a number from /history)")
            return
        conversation_id = argument
        if argument.isdigit() and 0 < int(argument) <= len(self.listed):
            conversation_id = self.listed[int(argument) - 1]
        try:
            got = self.request("openrouter/conversations/get", {"conversationId": conversation_id})
        except RpcError as exc:
            print(f"cannot open {conversation_id}: {exc}")
            return
        conversation = got["conversation"]
        print(f"# {conversation['title'] or '(untitled)'}")
        for message in conversation["messages"]:
            role = message["role"]
            speaker = {"user": "You", "assistant": "Assistant"}.get(role, role)
            print(f"\n## {speaker}\n\n{_text(message.get('content'))}")
        self.conversation_id = conversation["id"]
        print(f"\n(continuing {conversation['id']})")


    def sign_in(self, _: str) -> None:
        """The server listens on a loopback callback; the browser brings the code back there."""
        self._sign_in = self.loop.create_future()
        started = self.request("openrouter/signIn/start", {})
        url = started["authUrl"]
        opened = _can_open_a_browser() and webbrowser.open(url)
        print(("Finish signing in in the browser" if opened else "Open this address to sign in")
              + f" (Ctrl-C cancels):\n{url}")

        def cancel() -> None:
            if self._sign_in is not None and not self._sign_in.done():
                self._sign_in.cancel()

        self.loop.add_signal_handler(signal.SIGINT, cancel)
        try:
            finished = self.run(asyncio.wait_for(self._sign_in, started["timeoutSeconds"] + 5))
        except (asyncio.CancelledError, asyncio.TimeoutError):
            finished = self.request("openrouter/signIn/cancel", {})
        finally:
            self.loop.remove_signal_handler(signal.SIGINT)
            self._sign_in = None
        print(finished["message"])


def _handle(chat: TerminalChat, line: str) -> bool:
    """Run one line the user typed; False when the session should end."""
    if line.startswith("/"):
        return chat.command(line)
    if line:
        chat.ask(line)
    return True


def _can_open_a_browser() -> bool:
    """Without a desktop (or $BROWSER) `webbrowser` would start a text browser in this very
    terminal: show the address instead."""
    desktop = any(os.environ.get(n) for n in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
    return desktop or sys.platform in ("darwin", "win32")


def _read_line(prompt: str) -> str | None:
    """A line from the user; None at Ctrl-D. Ctrl-C at the prompt only clears the line."""
    while True:
        try:
            return input(prompt)
        except KeyboardInterrupt:
            print("^C (Ctrl-D or /quit exits)")
        except EOFError:
            print()
            return None


@contextlib.contextmanager
def _event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openrouter-lsp chat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="the model of this session (default: your settings')")
    parser.add_argument("--conversation", help="continue this conversation (an id from /history)")
    args = parser.parse_args(argv)
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    with _event_loop() as loop:
        client = loop.run_until_complete(StdioLspClient.start(new_session=True))
        try:
            loop.run_until_complete(client.initialize())
            chat = TerminalChat(loop, client)
            if args.model:
                chat.set_model(args.model)
            if args.conversation:
                chat.open(args.conversation)
            print("OpenRouter chat. /help for commands; Ctrl-C stops an answer, Ctrl-D exits.")
            while (line := _read_line("> ")) is not None:
                try:
                    if not _handle(chat, line.strip()):
                        break
                except KeyboardInterrupt:  # Ctrl-C during a /command: back to the prompt
                    print("^C")
        except (RpcError, ConnectionError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            loop.run_until_complete(client.close())
    return 0
