/* Generated from schemas/openrouter.signIn.start.params.schema.json (openrouter/signIn/start params) by scripts/gen-types.mjs — do not edit. */

/**
 * Start "Sign in with OpenRouter" (OAuth PKCE, S256); a flow already waiting is cancelled.
 *
 * Without `callbackUrl` the server listens on a one-shot loopback callback
 * (`http://127.0.0.1:{callbackPort}/callback`; port 0 or absent: any free port). With it the
 * client receives the redirect itself (VS Code's URI handler) and hands the code over with
 * `openrouter/signIn/complete`.
 */
export interface SignInStartParams {
  callbackPort?: number | null;
  callbackUrl?: string | null;
  timeoutSeconds?: number | null;
}
