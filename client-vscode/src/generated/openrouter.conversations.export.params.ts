/* Generated from schemas/openrouter.conversations.export.params.schema.json (openrouter/conversations/export params) by scripts/gen-types.mjs — do not edit. */

/**
 * Names one conversation: the id the client chose when it first chatted with it.
 */
export interface ConversationsExportParams {
  conversationId: string;
}
