"""The conversations the server keeps: which store is in use, the operations of the
`openrouter/conversations/*` methods, and what a chat with a `conversationId` reads and appends.

With the `chatHistory` setting on, conversations live in `history.sqlite3` in the state folder;
off, in a database in memory that lasts as long as this server process. A file that is not a
usable database is moved aside (`history.sqlite3.corrupt-…`, kept for recovery), the user is
told, and a new history starts; a file locked by another process for longer than the busy
timeout, or written by a newer server, fails only the call at hand and is left as it is.
Either way the caller gets `HistoryUnavailable`, a sentence the user can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from .. import wire
from ..errors import HistoryUnavailable, InvalidInput, invalid
from ..history.markdown import to_markdown
from ..history.store import (
    BadRecord,
    ConversationStore,
    HistoryCorrupt,
    HistoryError,
    HistoryLocked,
    HistoryTooNew,
)
from ..protocol import (
    MAX_STRING_CHARS,
    ChatMessage,
    ChatParams,
    ChatResult,
    ChatUsage,
    Conversation,
    ConversationSummary,
    FieldError,
    StoredMessage,
)
from ..state_dir import move_aside
from .chat_content import sendable

log = logging.getLogger(__name__)

OnDelta = Callable[[str | None, str | None], None]  # (content, reasoning) increments
OnGenerationId = Callable[[str], None]  # the upstream chat's generation id, once known
# One upstream chat: the messages, where its increments go, who is told its generation id.
RunChat = Callable[[ChatParams, OnDelta, OnGenerationId], Awaitable[ChatResult]]
# (conversation id, generation id) of an answer stopped part-way and stored without its cost
OnStopped = Callable[[str, str], None]


def _ignore_stopped(_conversation_id: str, _generation_id: str) -> None:
    return None

HISTORY_FILE = "history.sqlite3"
_SIDE_FILES = ("-wal", "-shm")
_CHAT_FIELDS = frozenset(wire.to_camel(f.name) for f in attrs.fields(ChatMessage))


def stored(message: ChatMessage, **about: Any) -> StoredMessage:
    """`message` with what is known about it (model, usage… of an answer)."""
    return StoredMessage(**attrs.asdict(message, recurse=False), **about)


def answer_message(result: ChatResult) -> StoredMessage:
    """The assistant message of an answer: every ChatMessage field the result also carries (the
    text, and whatever else both types name, such as tool calls), plus what produced it."""
    fields = {k: v for k, v in wire.unstructure(result).items() if k in _CHAT_FIELDS}
    try:
        message = wire.structure({**fields, "role": "assistant"}, ChatMessage)
    except InvalidInput as exc:
        # An answer beyond what a message may hold (MAX_ANSWER_CHARS can exceed
        # MAX_STRING_CHARS): its text is kept up to that limit, so it can be read back.
        log.warning("Answer stored as text only: %s", exc.message)
        message = ChatMessage(role="assistant", content=result.content[:MAX_STRING_CHARS])
    return stored(
        message,
        model=result.model,
        provider=result.provider,
        generation_id=result.generation_id,
        usage=result.usage,
        reasoning=result.reasoning or None,
        finish_reason=result.finish_reason,
    )


def check_id(conversation_id: str, path: str = "conversationId") -> str:
    if not conversation_id.strip():
        raise invalid(path, "must not be empty")
    return conversation_id


class Conversations:
    def __init__(
        self,
        folder: Callable[[], Path],
        enabled: Callable[[], bool],
        warn: Callable[[str], None],
    ) -> None:
        """`folder`: the state folder; `enabled`: the `chatHistory` setting in force."""
        self._folder = folder
        self._enabled = enabled
        self._warn = warn
        self._disk: ConversationStore | None = None
        self._memory: ConversationStore | None = None
        # A conversation's lock lives while a turn holds or awaits it.
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @property
    def path(self) -> Path:
        return self._folder() / HISTORY_FILE

    def close(self) -> None:
        for store in (self._disk, self._memory):
            if store is not None:
                store.close()
        self._disk = self._memory = None

    # --- the store in use ---

    def _store(self) -> ConversationStore:
        if not self._enabled():
            if self._memory is None:
                self._memory = ConversationStore(None)
            return self._memory
        if self._disk is None:
            try:
                self._disk = ConversationStore(self.path)
            except HistoryCorrupt as exc:
                self._quarantine(str(exc))
                self._disk = self._open_fresh()
            except (HistoryLocked, HistoryTooNew) as exc:
                raise self._unavailable(exc) from None
        return self._disk

    def _open_fresh(self) -> ConversationStore:
        try:
            return ConversationStore(self.path)
        except HistoryError as exc:
            raise self._unavailable(exc) from None

    def _quarantine(self, reason: str) -> Path | None:
        """Move the unusable file (and its WAL files) aside and tell the user where it went."""
        if self._disk is not None:
            self._disk.close()
            self._disk = None
        try:
            aside = move_aside(self.path)
            for suffix in _SIDE_FILES:
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.replace(aside.with_name(aside.name + suffix))
        except OSError as exc:
            log.warning("Could not move %s aside (%s)", self.path, exc)
            return None
        self._warn(
            f"The conversation history {self.path} could not be used ({reason}); it was moved "
            f"to {aside} and a new history was started."
        )
        return aside

    def _unavailable(self, exc: HistoryError) -> HistoryUnavailable:
        where = self.path if self._enabled() else "in memory"
        return HistoryUnavailable(f"The conversation history ({where}) cannot be used: {exc}.")

    @contextlib.contextmanager
    def _using(self) -> Iterator[ConversationStore]:
        """The store, with its failures turned into HistoryUnavailable; a file found unusable
        part-way is moved aside so that the next call starts a new history."""
        store = self._store()
        try:
            yield store
        except BadRecord as exc:
            raise HistoryUnavailable(f"The conversation history {exc}.") from None
        except HistoryCorrupt as exc:
            if store is self._disk:
                self._quarantine(str(exc))
            raise self._unavailable(exc) from None
        except HistoryError as exc:
            raise self._unavailable(exc) from None

    # --- the methods ---

    def summaries(self) -> list[ConversationSummary]:
        with self._using() as store:
            return store.summaries()

    def get(self, conversation_id: str) -> Conversation:
        with self._using() as store:
            conversation = store.conversation(check_id(conversation_id))
        if conversation is None:
            raise _unknown(conversation_id)
        return conversation

    def rename(self, conversation_id: str, title: str) -> ConversationSummary:
        title = " ".join(title.split())
        if not title:
            raise invalid("title", "must not be empty")
        with self._using() as store:
            if not store.rename(check_id(conversation_id), title):
                raise _unknown(conversation_id)
            return self._summary(store, conversation_id)

    def delete(self, conversation_id: str) -> bool:
        with self._using() as store:
            return store.delete(check_id(conversation_id))

    def truncate(self, conversation_id: str, keep_messages: int) -> ConversationSummary:
        with self._using() as store:
            summary = store.summary(check_id(conversation_id))
            if summary is None:
                raise _unknown(conversation_id)
            if keep_messages > summary.message_count:
                raise invalid(
                    "keepMessages",
                    f"is more than the {summary.message_count} messages the conversation has",
                )
            store.truncate(conversation_id, keep_messages)
            return self._summary(store, conversation_id)

    def export(self, conversation_id: str) -> str:
        return to_markdown(self.get(conversation_id))

    @staticmethod
    def _summary(store: ConversationStore, conversation_id: str) -> ConversationSummary:
        summary = store.summary(conversation_id)
        if summary is None:  # deleted by another window in between
            raise _unknown(conversation_id)
        return summary

    # --- a chat's history ---

    def history(self, conversation_id: str) -> list[ChatMessage]:
        """What to send before the turn's new messages; [] for a conversation not seen yet."""
        with self._using() as store:
            return store.history(conversation_id)

    def append(self, conversation_id: str, messages: list[StoredMessage]) -> None:
        with self._using() as store:
            store.append(conversation_id, messages)

    def set_usage(
        self, conversation_id: str, generation_id: str, usage: ChatUsage,
        model: str | None = None, provider: str | None = None,
    ) -> bool:
        """The usage and cost of the stored answer `generation_id`, learnt later; False when
        that answer is no longer kept."""
        with self._using() as store:
            return store.set_usage(conversation_id, generation_id, usage, model, provider)

    async def chat(
        self,
        params: ChatParams,
        on_delta: OnDelta,
        run: RunChat,
        on_stopped: OnStopped = _ignore_stopped,
    ) -> ChatResult:
        """A turn of the conversation `params.conversation_id`: stored messages + new ones go
        upstream through `run`. After an answer the new messages and the answer are appended; a
        failed chat appends nothing (the client sends the same messages again); a chat stopped
        after text streamed appends the new messages and the text so far (`finishReason:
        "cancelled"`, with its generation id but no usage: the stream never reported it), and
        `on_stopped` is told, so that its cost can be looked up later."""
        conversation_id = check_id(params.conversation_id or "")
        # Turns of one conversation run one after the other (in this process): each is sent
        # with the answers before it.
        turn = self._turns.get(conversation_id)
        if turn is None:
            turn = self._turns[conversation_id] = asyncio.Lock()
        async with turn:
            return await self._turn(conversation_id, params, on_delta, run, on_stopped)

    async def _turn(
        self,
        conversation_id: str,
        params: ChatParams,
        on_delta: OnDelta,
        run: RunChat,
        on_stopped: OnStopped,
    ) -> ChatResult:
        history = self.history(conversation_id)  # read before anything is sent
        content: list[str] = []
        reasoning: list[str] = []
        generation: list[str] = []  # the upstream chat's id, once it is known

        def collect(text: str | None, thought: str | None) -> None:
            if text:
                content.append(text)
            if thought:
                reasoning.append(thought)
            on_delta(text, thought)

        new = [stored(message) for message in params.messages]
        try:
            sent = [sendable(message) for message in [*history, *params.messages]]
            result = await run(attrs.evolve(params, messages=sent), collect, generation.append)
        except InvalidInput as exc:
            raise _as_sent(exc, len(history)) from None
        except asyncio.CancelledError:
            if content:
                generation_id = generation[0] if generation else None
                partial = stored(
                    ChatMessage(role="assistant", content="".join(content)),
                    reasoning="".join(reasoning) or None,
                    finish_reason="cancelled",
                    generation_id=generation_id,
                )
                if self.save_turn(conversation_id, [*new, partial]) and generation_id:
                    on_stopped(conversation_id, generation_id)
            raise
        self.save_turn(conversation_id, [*new, answer_message(result)])
        return attrs.evolve(result, conversation_id=conversation_id)

    def save_turn(self, conversation_id: str, messages: list[StoredMessage]) -> bool:
        """After an answer: append the turn (True when it was); a failure is told to the user,
        never raised (the answer was received and paid for, so the chat still returns it)."""
        try:
            self.append(conversation_id, messages)
        except HistoryUnavailable as exc:
            self._warn(f"{exc.message} This answer was not saved in the conversation.")
        except Exception as exc:  # a paid answer is returned whatever happens to its copy
            log.error("Saving a turn of %r failed", conversation_id, exc_info=exc)
            self._warn(
                f"This answer was not saved in the conversation ({type(exc).__name__}); see "
                "the server log."
            )
        else:
            return True
        return False


_MESSAGE_PATH = re.compile(r"messages\[(\d+)\](.*)")


def _as_sent(exc: InvalidInput, stored_count: int) -> InvalidInput:
    """Errors about the messages sent upstream (stored + new) named as the client knows them:
    `messages[i]` of the turn it sent, or the conversation for a stored message."""
    errors: list[FieldError] = []
    for error in exc.errors:
        match = _MESSAGE_PATH.fullmatch(error.path)
        if match is None:
            errors.append(error)
            continue
        index, rest = int(match.group(1)), match.group(2)
        if index >= stored_count:
            errors.append(FieldError(f"messages[{index - stored_count}]{rest}", error.message))
        else:
            where = f"its stored message {index}{rest}"
            errors.append(FieldError("conversationId", f"{where} {error.message}"))
    return InvalidInput(errors)


def _unknown(conversation_id: str) -> Exception:
    return invalid("conversationId", f"no conversation has the id {conversation_id[:80]!r}")
