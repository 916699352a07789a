/* Generated from schemas/openrouter.signIn.cancel.params.schema.json (openrouter/signIn/cancel params) by scripts/gen-types.mjs — do not edit. */

/**
 * No params: `{}`, `null`, absent params and `[]` are accepted.
 */
export type SignInCancelParams = {} | null | [];
