/* Generated from schemas/openrouter.conversations.list.params.schema.json (openrouter/conversations/list params) by scripts/gen-types.mjs — do not edit. */

/**
 * No params: `{}`, `null`, absent params and `[]` are accepted.
 */
export type ConversationsListParams = {} | null | [];
