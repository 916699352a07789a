/* Generated from schemas/openrouter.conversations.get.params.schema.json (openrouter/conversations/get params) by scripts/gen-types.mjs — do not edit. */

/**
 * Names one conversation: the id the client chose when it first chatted with it.
 */
export interface ConversationsGetParams {
  conversationId: string;
}
