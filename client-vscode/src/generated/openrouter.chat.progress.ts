/* Generated from schemas/openrouter.chat.progress.schema.json ($/progress value on an openrouter/chat partialResultToken) by scripts/gen-types.mjs — do not edit. */

/**
 * The value of each `$/progress` notification on a chat's partialResultToken (members
 * without news are left out).
 */
export interface ChatProgress {
  content?: string | null;
  reasoning?: string | null;
  toolCalls?: ToolCallDelta[] | null;
}
/**
 * A piece of the tool call at `index`: `id`, `type` and `name` come with its first piece.
 */
export interface ToolCallDelta {
  index: number;
  id?: string | null;
  type?: 'function' | null;
  function?: ToolCallFunctionDelta | null;
}
export interface ToolCallFunctionDelta {
  name?: string | null;
  arguments?: string | null;
}
