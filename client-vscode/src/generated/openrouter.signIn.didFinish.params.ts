/* Generated from schemas/openrouter.signIn.didFinish.params.schema.json (openrouter/signIn/didFinish notification params) by scripts/gen-types.mjs — do not edit. */

/**
 * How a sign-in ended: the `signIn/complete` result and the `signIn/didFinish` params.
 */
export interface SignInDidFinishParams {
  state: string;
  outcome: 'signed_in' | 'failed' | 'cancelled' | 'timed_out';
  message: string;
  apiKey: ApiKeyStatus;
}
export interface ApiKeyStatus {
  isSet: boolean;
  hint: string | null;
  source: ('env' | 'keyring' | 'file') | null;
  verdict: ('accepted' | 'rejected' | 'unverified') | null;
  verdictMessage: string | null;
}
