/* Generated from schemas/openrouter.chat.params.schema.json (openrouter/chat params) by scripts/gen-types.mjs — do not edit. */

export interface ChatParams {
  /**
   * @minItems 1
   * @maxItems 10000
   */
  messages: [ChatMessage, ...ChatMessage[]];
  modelId?: string | null;
  maxTokens?: number | null;
  temperature?: number | null;
  conversationId?: string | null;
  partialResultToken?: string | number | null;
}
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
