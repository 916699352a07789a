/* Generated from schemas/openrouter.signIn.start.result.schema.json (openrouter/signIn/start result) by scripts/gen-types.mjs — do not edit. */

export interface SignInStartResult {
  authUrl: string;
  callbackUrl: string;
  state: string;
  timeoutSeconds: number;
  loopback: boolean;
}
