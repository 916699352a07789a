/* Generated from schemas/openrouter.signIn.cancel.result.schema.json (openrouter/signIn/cancel result) by scripts/gen-types.mjs — do not edit. */

/**
 * How a sign-in ended: the `signIn/complete` result and the `signIn/didFinish` params.
 */
export interface SignInCancelResult {
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
