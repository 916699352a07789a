"""`openrouter/conversations/list|get|rename|delete|truncate|export`: adapters over
`core/conversations.py` (the store is `history/store.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import protocol
from ..protocol import (
    ConversationDeleteResult,
    ConversationExportResult,
    ConversationGetResult,
    ConversationParams,
    ConversationRenameParams,
    ConversationsListResult,
    ConversationSummary,
    ConversationTruncateParams,
    EmptyParams,
)

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer


def register(server: OpenRouterLanguageServer) -> None:
    core = server.ctx.core

    @server.custom_method(protocol.CONVERSATIONS_LIST, EmptyParams)
    def list_conversations(_: EmptyParams) -> ConversationsListResult:
        return ConversationsListResult(conversations=core.history().summaries())

    @server.custom_method(protocol.CONVERSATIONS_GET, ConversationParams)
    def get_conversation(params: ConversationParams) -> ConversationGetResult:
        return ConversationGetResult(conversation=core.history().get(params.conversation_id))

    @server.custom_method(protocol.CONVERSATIONS_RENAME, ConversationRenameParams)
    def rename_conversation(params: ConversationRenameParams) -> ConversationSummary:
        return core.history().rename(params.conversation_id, params.title)

    @server.custom_method(protocol.CONVERSATIONS_DELETE, ConversationParams)
    def delete_conversation(params: ConversationParams) -> ConversationDeleteResult:
        return ConversationDeleteResult(deleted=core.history().delete(params.conversation_id))

    @server.custom_method(protocol.CONVERSATIONS_TRUNCATE, ConversationTruncateParams)
    def truncate_conversation(params: ConversationTruncateParams) -> ConversationSummary:
        return core.history().truncate(params.conversation_id, params.keep_messages)

    @server.custom_method(protocol.CONVERSATIONS_EXPORT, ConversationParams)
    def export_conversation(params: ConversationParams) -> ConversationExportResult:
        return ConversationExportResult(markdown=core.history().export(params.conversation_id))
