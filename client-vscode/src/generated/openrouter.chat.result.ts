/* Generated from schemas/openrouter.chat.result.schema.json (openrouter/chat result) by scripts/gen-types.mjs — do not edit. */

export interface ChatResult {
  content: string;
  reasoning: string;
  finishReason: string | null;
  model: string | null;
  provider: string | null;
  generationId: string | null;
  usage: ChatUsage;
  costSource: ('stream' | 'generation' | 'catalogue') | null;
}
export interface ChatUsage {
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  costUsd: number | null;
}
