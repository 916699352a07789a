/* Generated from schemas/openrouter.account.get.params.schema.json (openrouter/account/get params) by scripts/gen-types.mjs — do not edit. */

/**
 * No params: `{}`, `null`, absent params and `[]` are accepted.
 */
export type AccountGetParams = {} | null | [];
