/* Generated from schemas/openrouter.conversations.delete.result.schema.json (openrouter/conversations/delete result) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsDeleteResult {
  deleted: boolean;
}
