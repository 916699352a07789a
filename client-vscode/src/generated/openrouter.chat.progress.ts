/* Generated from schemas/openrouter.chat.progress.schema.json ($/progress value on an openrouter/chat partialResultToken) by scripts/gen-types.mjs — do not edit. */

/**
 * The value of each `$/progress` notification on a chat's partialResultToken.
 */
export interface ChatProgress {
  content?: string | null;
  reasoning?: string | null;
}
