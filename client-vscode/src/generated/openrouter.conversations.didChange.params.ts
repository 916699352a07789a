/* Generated from schemas/openrouter.conversations.didChange.params.schema.json (openrouter/conversations/didChange notification params) by scripts/gen-types.mjs — do not edit. */

/**
 * Names one conversation: the id the client chose when it first chatted with it.
 */
export interface ConversationsDidChangeParams {
  conversationId: string;
}
