/* Generated from schemas/openrouter.conversations.truncate.params.schema.json (openrouter/conversations/truncate params) by scripts/gen-types.mjs — do not edit. */

/**
 * Keep the first `keepMessages` messages and drop the rest (regenerate, edit and resend).
 */
export interface ConversationsTruncateParams {
  conversationId: string;
  keepMessages: number;
}
