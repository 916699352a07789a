/* Generated from schemas/openrouter.conversations.rename.result.schema.json (openrouter/conversations/rename result) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsRenameResult {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  model: string | null;
  totals: ConversationTotals;
}
/**
 * Sums over a conversation's stored messages (unknown counts and costs count as 0).
 */
export interface ConversationTotals {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}
