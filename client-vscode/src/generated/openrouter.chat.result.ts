/* Generated from schemas/openrouter.chat.result.schema.json (openrouter/chat result) by scripts/gen-types.mjs — do not edit. */

export interface ChatResult {
  content: string;
  reasoning: string;
  finishReason: string | null;
  model: string | null;
  provider: string | null;
  generationId: string | null;
  usage: ChatUsage;
  toolCalls: ToolCall[];
  reasoningDetails: {
    [k: string]: unknown;
  }[];
  conversationId: string | null;
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
export interface ToolCall {
  type: 'function';
  function: ToolCallFunction;
  id: string;
}
export interface ToolCallFunction {
  arguments: string;
  name: string;
}
