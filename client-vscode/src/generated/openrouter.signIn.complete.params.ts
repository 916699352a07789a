/* Generated from schemas/openrouter.signIn.complete.params.schema.json (openrouter/signIn/complete params) by scripts/gen-types.mjs — do not edit. */

/**
 * The code the authorisation page redirected with, and the `state` of that redirect.
 */
export interface SignInCompleteParams {
  code: string;
  state?: string | null;
}
