/* Generated from schemas/openrouter.conversations.truncate.result.schema.json (openrouter/conversations/truncate result) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsTruncateResult {
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
