/* Generated from schemas/openrouter.apiKey.set.result.schema.json (openrouter/apiKey/set result) by scripts/gen-types.mjs — do not edit. */

export interface ApiKeySetResult {
  isSet: boolean;
  hint: string | null;
  source: ('env' | 'keyring' | 'file') | null;
  verdict: ('accepted' | 'rejected' | 'unverified') | null;
  verdictMessage: string | null;
}
