/* Generated from schemas/openrouter.conversations.delete.params.schema.json (openrouter/conversations/delete params) by scripts/gen-types.mjs — do not edit. */

/**
 * Names one conversation: the id the client chose when it first chatted with it.
 */
export interface ConversationsDeleteParams {
  conversationId: string;
}
