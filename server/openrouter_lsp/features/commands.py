"""`workspace/executeCommand`: the custom methods as commands, for editors without custom requests.

Every command validates its positional arguments (errors name `arguments[i]`), long ones run
under work-done progress (created by the server when the client supports it, cancellable with
`window/workDoneProgress/cancel` as well as `$/cancelRequest`), and answers are shown with
`window/showDocument` (a Markdown file in the state folder) or, failing that, `window/showMessage`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as lsp

from .. import protocol, wire
from ..errors import InvalidInput, invalid
from ..lsp.jsonrpc_errors import to_jsonrpc
from ..lsp.pygls_adapter import replace_builtin_feature
from ..protocol import ChatMessage, ChatParams, FieldError
from ..state_dir import write_atomic
from .editor import client_supports

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer

log = logging.getLogger(__name__)

SET_API_KEY = "openrouter.setApiKey"
CLEAR_API_KEY = "openrouter.clearApiKey"
CHOOSE_MODEL = "openrouter.chooseModel"
REFRESH_MODELS = "openrouter.refreshModels"
ASK = "openrouter.ask"
SHOW_SETTINGS = "openrouter.showSettings"
UPDATE_SETTINGS = "openrouter.updateSettings"
SIGN_IN = "openrouter.signIn"
CHOOSE_EFFORT = "openrouter.chooseEffort"
LIST_CONVERSATIONS = "openrouter.listConversations"
GET_CONVERSATION = "openrouter.getConversation"
RENAME_CONVERSATION = "openrouter.renameConversation"
DELETE_CONVERSATION = "openrouter.deleteConversation"
TRUNCATE_CONVERSATION = "openrouter.truncateConversation"
EXPORT_CONVERSATION = "openrouter.exportConversation"

ANSWERS_DIR = "answers"
KEEP_ANSWERS = 50
MESSAGE_ANSWER_CHARS = 4_000  # a showMessage fallback shows this much and names the file
CREATE_TIMEOUT_S = 5.0
REPORT_INTERVAL_S = 0.1
MAX_CHOICES = 8  # buttons in one window/showMessageRequest
MAX_LISTED_IDS = 20  # model ids named in a message when the client cannot be asked
SUGGESTED_MODELS = (
    "anthropic/claude-sonnet-4.5",
    "openai/gpt-4o",
    "google/gemini-2.5-pro",
    "openai/gpt-4o-mini",
    "deepseek/deepseek-chat",
    "meta-llama/llama-3.3-70b-instruct",
)
ASK_SYSTEM = "You are a helpful assistant for a programmer. Answer concisely, in Markdown."


@attrs.define
class Call:
    """One executeCommand request: the server, its raw arguments, the client's progress token."""

    server: OpenRouterLanguageServer
    arguments: list[Any]
    work_done_token: str | int | None = None

    def arg(self, index: int) -> Any:
        return self.arguments[index] if index < len(self.arguments) else None

    def string(self, index: int, what: str, limit: int = protocol.MAX_ID_LENGTH) -> str:
        value = self.arg(index)
        path = f"arguments[{index}]"
        if value is None:
            raise invalid(path, f"is required: {what}")
        if not isinstance(value, str):
            raise invalid(path, f"must be a string ({what}), got {type(value).__name__}")
        wire.check_length(value, limit, path)
        if not value.strip():
            raise invalid(path, f"must not be empty: {what}")
        return value

    def structure(self, index: int, cls: type[Any]) -> Any:
        try:
            return wire.structure(self.arg(index), cls)
        except InvalidInput as exc:
            raise exc.under(f"arguments[{index}]") from None


class WorkDone:
    """Work-done progress for one command; the client's cancel cancels the running task."""

    def __init__(
        self, server: OpenRouterLanguageServer, title: str, token: str | int | None = None
    ) -> None:
        self._server = server
        self._title = title
        self.token = token
        self._task: asyncio.Task[Any] | None = None
        self._last_report = 0.0
        self._chars = 0

    async def __aenter__(self) -> WorkDone:
        self._task = asyncio.current_task()
        progress = self._server.work_done_progress
        if self.token is None and client_supports(self._server, "window.work_done_progress"):
            token = f"openrouter-{uuid.uuid4().hex}"
            try:
                await asyncio.wait_for(progress.create_async(token), CREATE_TIMEOUT_S)
                self.token = token
            except Exception as exc:
                log.info("window/workDoneProgress/create failed (%s)", type(exc).__name__)
        if self.token is not None:
            progress.begin(
                self.token, lsp.WorkDoneProgressBegin(title=self._title, cancellable=True)
            )
            future = progress.tokens.get(self.token)
            if future is not None:
                future.add_done_callback(self._on_cancel)
        return self

    def _on_cancel(self, future: Future[Any]) -> None:
        if future.cancelled() and self._task is not None:
            self._task.get_loop().call_soon_threadsafe(self._task.cancel)

    def report(self, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.token is None or (not force and now - self._last_report < REPORT_INTERVAL_S):
            return
        self._last_report = now
        self._server.work_done_progress.report(
            self.token, lsp.WorkDoneProgressReport(message=message)
        )

    def on_chat_delta(self, content: str | None, _reasoning: str | None) -> None:
        """A chat increment: report the characters so far and the tail of the latest line."""
        if not content:
            return
        self._chars += len(content)
        tail = content.strip().rsplit("\n", 1)[-1][-60:]
        self.report(f"{self._chars:,} characters… {tail}")

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self.token is None:
            return
        progress = self._server.work_done_progress
        progress.tokens.pop(self.token, None)
        if exc_type is None:
            message = "Done"
        elif issubclass(exc_type, asyncio.CancelledError):
            message = "Cancelled"
        else:
            message = "Failed"
        progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))


def _info(server: OpenRouterLanguageServer, message: str) -> None:
    server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Info, message=message))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "answer"


async def show_answer(server: OpenRouterLanguageServer, title: str, content: str) -> str:
    """Write the answer as Markdown in the state folder and show it; returns the file's URI."""
    return await show_document(server, title, f"# {title}\n\n{content}\n", content)


async def show_document(
    server: OpenRouterLanguageServer, title: str, document: str, content: str | None = None
) -> str:
    """Write `document` (Markdown) in the state folder and show it, or show `content` (default:
    the document) in a message; returns the file's URI."""
    content = document if content is None else content
    folder = server.ctx.core.folder / ANSWERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}-{_slug(title)}.md"
    write_atomic(path, document.encode(), 0o600)
    for old in sorted(folder.glob("*.md"))[:-KEEP_ANSWERS]:
        old.unlink(missing_ok=True)
    uri = path.as_uri()
    if client_supports(server, "window.show_document.support"):
        try:
            shown = await server.window_show_document_async(
                lsp.ShowDocumentParams(uri=uri, take_focus=True)
            )
            if shown.success:
                return uri
        except Exception as exc:
            log.info("window/showDocument failed (%s)", type(exc).__name__)
    text = content if len(content) <= MESSAGE_ANSWER_CHARS else content[:MESSAGE_ANSWER_CHARS] + "…"
    _info(server, f"{title}\n\n{text}\n\n(The full answer is in {path}.)")
    return uri


async def answer(call: Call, title: str, messages: list[ChatMessage]) -> dict[str, Any]:
    """Run a chat under work-done progress and show the answer; the ChatResult plus `uri`."""
    server = call.server
    async with WorkDone(server, title, call.work_done_token) as work:
        work.report("Waiting for the model…", force=True)
        result = await server.ctx.core.chat(ChatParams(messages=messages), work.on_chat_delta)
    uri = await show_answer(server, title, result.content)
    return {**wire.unstructure(result), "uri": uri}


# --- the commands -----------------------------------------------------------------------------


async def set_api_key(call: Call) -> Any:
    raw = call.string(0, "the OpenRouter API key", protocol.MAX_API_KEY_LENGTH)
    try:
        status = call.server.ctx.core.set_api_key(raw)
    except InvalidInput as exc:
        raise _for_argument(exc, "apiKey") from None
    note = ""
    if status.source == "env":
        note = " OPENROUTER_API_KEY is set in the environment and is used instead."
    _info(call.server, f"OpenRouter: API key saved.{note}")
    return wire.unstructure(status)


async def clear_api_key(call: Call) -> Any:
    status = call.server.ctx.core.clear_api_key()
    _info(call.server, "OpenRouter: API key removed.")
    return wire.unstructure(status)


async def _pick_model(call: Call) -> str | None:
    """Ask the user with window/showMessageRequest; None when the client cannot or they decline."""
    server, core = call.server, call.server.ctx.core
    if not client_supports(server, "window.show_message"):
        raise invalid("arguments[0]", 'is required: a model id such as "openai/gpt-4o"')
    current = core.get_settings().model_id
    choices = [current, *SUGGESTED_MODELS]
    try:
        snapshot, _ = await core.catalogue_snapshot()
        known = snapshot.by_id
        choices = [c for c in choices if c in known] or list(snapshot.ids)
    except Exception as exc:
        log.info("Model catalogue unavailable for the choice (%s)", type(exc).__name__)
    titles = list(dict.fromkeys(choices))[:8]
    picked = await server.window_show_message_request_async(
        lsp.ShowMessageRequestParams(
            type=lsp.MessageType.Info,
            message=f"OpenRouter: choose a model (now {current})",
            actions=[lsp.MessageActionItem(title=t) for t in titles],
        )
    )
    return picked.title if picked is not None else None


async def _pick_filtered_model(call: Call, raw: dict[str, Any]) -> str | None:
    """The best matches of `models/list` filters (`{"query": "mini", "free": true}`), offered with
    window/showMessageRequest; a client that cannot be asked is told the matching ids."""
    server, core = call.server, call.server.ctx.core
    try:
        filters = wire.structure(raw, protocol.ModelsListParams)
    except InvalidInput as exc:
        raise exc.under("arguments[0]") from None
    ids = [m["id"] for m in (await core.list_models(filters)).value()["models"]]
    if not ids:
        _info(server, "OpenRouter: no model matches these filters.")
        return None
    if not client_supports(server, "window.show_message"):
        more = f" and {len(ids) - MAX_LISTED_IDS} more" if len(ids) > MAX_LISTED_IDS else ""
        _info(server, f"OpenRouter: {len(ids)} models match: {', '.join(ids[:MAX_LISTED_IDS])}"
              f"{more}. Choose one with openrouter.chooseModel and its id.")
        return None
    return await _ask(server, f"OpenRouter: choose a model ({len(ids)} match)", ids[:MAX_CHOICES])


async def _ask(server: OpenRouterLanguageServer, message: str, titles: list[str]) -> str | None:
    picked = await server.window_show_message_request_async(
        lsp.ShowMessageRequestParams(
            type=lsp.MessageType.Info,
            message=message,
            actions=[lsp.MessageActionItem(title=t) for t in titles],
        )
    )
    return picked.title if picked is not None else None


async def choose_model(call: Call) -> Any:
    """A model id, an object of `models/list` filters to choose among, or nothing (suggestions)."""
    core = call.server.ctx.core
    first = call.arg(0)
    if isinstance(first, dict):
        model_id = await _pick_filtered_model(call, first)
    elif first is not None:
        model_id = call.string(0, "a model id or an object of model filters")
    else:
        model_id = await _pick_model(call)
    if model_id is None:
        return wire.unstructure(core.get_settings())
    try:
        view = await core.update_settings({"modelId": model_id})
    except InvalidInput as exc:
        raise _for_argument(exc, "modelId") from None
    _info(call.server, f"OpenRouter: model set to {model_id}.")
    return wire.unstructure(view)


async def choose_effort(call: Call) -> Any:
    """Set `reasoningEffort`: the argument, or one of the current model's supported efforts
    offered with window/showMessageRequest (a client that cannot be asked is told them)."""
    server, core = call.server, call.server.ctx.core
    if call.arg(0) is not None:
        effort: str | None = call.string(0, 'a reasoning effort such as "low"')
    else:
        model_id = core.get_settings().model_id
        model = await core.find_model(model_id)
        if model is None:
            raise invalid("arguments[0]", f"is required: {model_id[:80]} is not in the catalogue, "
                          "so its efforts are unknown")
        if not model.supports_reasoning or not model.supported_efforts:
            _info(server, f"OpenRouter: {model.id} does not reason: it takes no reasoning effort.")
            return wire.unstructure(core.get_settings())
        choices = ["default", *model.supported_efforts]
        if not client_supports(server, "window.show_message"):
            _info(server, f"OpenRouter: {model.id} takes the efforts {', '.join(choices)}. "
                  "Choose one with openrouter.chooseEffort and its name.")
            return wire.unstructure(core.get_settings())
        effort = await _ask(server, f"OpenRouter: reasoning effort for {model.id}",
                            choices[:MAX_CHOICES])
    if effort is None:
        return wire.unstructure(core.get_settings())
    try:
        view = await core.update_settings({"reasoningEffort": effort})
    except InvalidInput as exc:
        raise _for_argument(exc, "reasoningEffort") from None
    _info(server, f"OpenRouter: reasoning effort set to {effort}.")
    return wire.unstructure(view)


def _for_argument(exc: InvalidInput, path: str) -> InvalidInput:
    """Errors about `path` of the core's input, named as `arguments[0]` (the value itself)."""
    return InvalidInput(
        [FieldError(path="arguments[0]" if e.path == path else e.path, message=e.message)
         for e in exc.errors]
    )


async def refresh_models(call: Call) -> Any:
    core = call.server.ctx.core
    async with WorkDone(call.server, "OpenRouter: refreshing models", call.work_done_token):
        snapshot, stale = await core.catalogue_snapshot(refresh=True)
    ids = list(snapshot.ids)
    state = "the refresh failed; this is the last good list" if stale else "up to date"
    _info(call.server, f"OpenRouter: {len(ids)} models ({state}).")
    return {
        "count": len(ids),
        "fetchedAt": snapshot.fetched_at_iso,
        "stale": stale,
        "modelIds": ids,
    }


async def ask(call: Call) -> Any:
    question = call.string(0, "the question to ask", protocol.MAX_STRING_CHARS)
    title = "OpenRouter: " + " ".join(question.split())[:60]
    return await answer(
        call,
        title,
        [
            ChatMessage(role="system", content=ASK_SYSTEM),
            ChatMessage(role="user", content=question),
        ],
    )


def settings_summary(view: protocol.SettingsView) -> str:
    key = view.api_key
    key_text = f"set ({key.hint}, from {key.source})" if key.is_set else "not set"
    routing = view.routing
    route = routing.provider or routing.sort
    return (
        f"OpenRouter settings — provider: {view.provider}; model: {view.model_id}; "
        f"base URL: {view.effective_base_url}; API key: {key_text}; routing: {route}, "
        f"fallbacks {'on' if routing.allow_fallbacks else 'off'}, data policy "
        f"{routing.data_policy}; middle-out: {'on' if view.middle_out_transform else 'off'}; "
        f"prompt caching: {'on' if view.prompt_caching else 'off'}."
    )


async def show_settings(call: Call) -> Any:
    view = call.server.ctx.core.get_settings()
    _info(call.server, settings_summary(view))
    return wire.unstructure(view)


async def update_settings(call: Call) -> Any:
    """The explicit (user-initiated) way to change any setting, the base URL included."""
    patch = call.arg(0)
    if not isinstance(patch, dict):
        raise invalid("arguments[0]", "must be an object: a partial settings document")
    try:
        view = await call.server.ctx.core.update_settings(patch)
    except InvalidInput as exc:
        raise exc.under("arguments[0]") from None
    _info(call.server, settings_summary(view))
    return wire.unstructure(view)


async def sign_in(call: Call) -> Any:
    """Start "Sign in with OpenRouter" on the loopback callback and open the page in the browser
    (`window/showDocument` external) or show its address; the outcome comes as a message."""
    server = call.server
    core = server.ctx.core
    started = await core.sign_in_start(protocol.SignInStartParams())
    opened = False
    if client_supports(server, "window.show_document.support"):
        try:
            shown = await server.window_show_document_async(
                lsp.ShowDocumentParams(uri=started.auth_url, external=True)
            )
            opened = bool(shown.success)
        except Exception as exc:
            log.info("window/showDocument failed (%s)", type(exc).__name__)
    if opened:
        _info(server, "OpenRouter: finish signing in in the browser.")
    else:
        _info(server, f"OpenRouter: to sign in, open this address in a browser: {started.auth_url}")

    async def tell_outcome() -> None:
        result = await core.sign_in_outcome(started.state)
        if result is not None and result.outcome != "cancelled":
            ok = result.outcome == "signed_in"
            kind = lsp.MessageType.Info if ok else lsp.MessageType.Warning
            server.window_show_message(
                lsp.ShowMessageParams(type=kind, message=f"OpenRouter: {result.message}")
            )

    _background.add(task := asyncio.ensure_future(tell_outcome()))
    task.add_done_callback(_background.discard)
    return {**wire.unstructure(started), "opened": opened}


_background: set[asyncio.Future[None]] = set()


# --- conversations: arguments[0] is the method's params object, or just the conversation id ---


def _conversation_params(call: Call, cls: type[Any]) -> Any:
    if isinstance(call.arg(0), str):
        try:
            return wire.structure({"conversationId": call.arg(0)}, cls)
        except InvalidInput as exc:
            raise _for_argument(exc, "conversationId") from None
    return call.structure(0, cls)


def _in_argument(exc: InvalidInput, call: Call) -> InvalidInput:
    """The core's errors, at the path the command's argument gave them."""
    if isinstance(call.arg(0), str):
        return _for_argument(exc, "conversationId")
    return exc.under("arguments[0]")


async def list_conversations(call: Call) -> Any:
    summaries = call.server.ctx.core.history().summaries()
    return wire.unstructure(protocol.ConversationsListResult(conversations=summaries))


async def get_conversation(call: Call) -> Any:
    params = _conversation_params(call, protocol.ConversationParams)
    try:
        conversation = call.server.ctx.core.history().get(params.conversation_id)
    except InvalidInput as exc:
        raise _in_argument(exc, call) from None
    return wire.unstructure(protocol.ConversationGetResult(conversation=conversation))


async def rename_conversation(call: Call) -> Any:
    params = call.structure(0, protocol.ConversationRenameParams)
    try:
        summary = call.server.ctx.core.history().rename(params.conversation_id, params.title)
    except InvalidInput as exc:
        raise exc.under("arguments[0]") from None
    _info(call.server, f"OpenRouter: conversation renamed to {summary.title!r}.")
    return wire.unstructure(summary)


async def delete_conversation(call: Call) -> Any:
    params = _conversation_params(call, protocol.ConversationParams)
    try:
        deleted = call.server.ctx.core.history().delete(params.conversation_id)
    except InvalidInput as exc:
        raise _in_argument(exc, call) from None
    _info(call.server, "OpenRouter: conversation deleted." if deleted
          else "OpenRouter: there was no such conversation.")
    return wire.unstructure(protocol.ConversationDeleteResult(deleted=deleted))


async def truncate_conversation(call: Call) -> Any:
    params = call.structure(0, protocol.ConversationTruncateParams)
    try:
        summary = call.server.ctx.core.history().truncate(
            params.conversation_id, params.keep_messages
        )
    except InvalidInput as exc:
        raise exc.under("arguments[0]") from None
    _info(call.server, f"OpenRouter: the conversation keeps {summary.message_count} messages.")
    return wire.unstructure(summary)


async def export_conversation(call: Call) -> Any:
    """The Markdown, also written to the state folder and shown (`window/showDocument`)."""
    params = _conversation_params(call, protocol.ConversationParams)
    from ..history.markdown import to_markdown

    try:
        conversation = call.server.ctx.core.history().get(params.conversation_id)
    except InvalidInput as exc:
        raise _in_argument(exc, call) from None
    markdown = to_markdown(conversation)
    uri = await show_document(call.server, conversation.title or "Conversation", markdown)
    return {"markdown": markdown, "uri": uri}


Handler = Callable[[Call], Awaitable[Any]]


def handlers(server: OpenRouterLanguageServer) -> dict[str, Handler]:
    return {
        SET_API_KEY: set_api_key,
        CLEAR_API_KEY: clear_api_key,
        CHOOSE_MODEL: choose_model,
        REFRESH_MODELS: refresh_models,
        ASK: ask,
        SHOW_SETTINGS: show_settings,
        UPDATE_SETTINGS: update_settings,
        SIGN_IN: sign_in,
        CHOOSE_EFFORT: choose_effort,
        LIST_CONVERSATIONS: list_conversations,
        GET_CONVERSATION: get_conversation,
        RENAME_CONVERSATION: rename_conversation,
        DELETE_CONVERSATION: delete_conversation,
        TRUNCATE_CONVERSATION: truncate_conversation,
        EXPORT_CONVERSATION: export_conversation,
    }


def install(server: OpenRouterLanguageServer, table: dict[str, Handler]) -> None:
    """Advertise `table`'s commands and dispatch `workspace/executeCommand` to them.

    pygls 2.1 runs command handlers inside its own generator handler, so `$/cancelRequest`
    cancels only the outer future and the command would keep streaming (and billing). Replacing
    that built-in with one coroutine makes cancellation reach the command, and gives it the
    request's workDoneToken.
    """

    def advertised(*_: Any) -> None:  # never called: the dispatcher below handles the request
        return None

    for name in table:
        server.command(name)(advertised)

    async def execute_command(params: lsp.ExecuteCommandParams) -> Any:
        try:
            handler = table.get(params.command)
            if handler is None:
                raise invalid("command", f"unknown command {params.command[:80]!r}")
            arguments = params.arguments
            if arguments is not None and not isinstance(arguments, (list, tuple)):
                raise invalid("arguments", "must be an array")
            call = Call(server, list(arguments or []), params.work_done_token)
            await server.ctx.settled()
            return await handler(call)
        except Exception as exc:
            raise to_jsonrpc(exc, params.command) from None

    replace_builtin_feature(server, lsp.WORKSPACE_EXECUTE_COMMAND, execute_command)
