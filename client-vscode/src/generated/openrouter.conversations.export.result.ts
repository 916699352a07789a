/* Generated from schemas/openrouter.conversations.export.result.schema.json (openrouter/conversations/export result) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsExportResult {
  markdown: string;
}
