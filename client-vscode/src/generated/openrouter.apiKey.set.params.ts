/* Generated from schemas/openrouter.apiKey.set.params.schema.json (openrouter/apiKey/set params) by scripts/gen-types.mjs — do not edit. */

export interface ApiKeySetParams {
  apiKey: string;
}
