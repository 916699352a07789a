/* Generated from schemas/openrouter.conversations.rename.params.schema.json (openrouter/conversations/rename params) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsRenameParams {
  conversationId: string;
  title: string;
}
