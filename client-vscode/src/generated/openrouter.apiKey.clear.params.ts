/* Generated from schemas/openrouter.apiKey.clear.params.schema.json (openrouter/apiKey/clear params) by scripts/gen-types.mjs — do not edit. */

/**
 * No params: `{}`, `null`, absent params and `[]` are accepted.
 */
export type ApiKeyClearParams = {} | null | [];
