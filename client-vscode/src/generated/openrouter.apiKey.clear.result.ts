/* Generated from schemas/openrouter.apiKey.clear.result.schema.json (openrouter/apiKey/clear result) by scripts/gen-types.mjs — do not edit. */

export interface ApiKeyClearResult {
  isSet: boolean;
  hint: string | null;
  source: ('env' | 'keyring' | 'file') | null;
  verdict: ('accepted' | 'rejected' | 'unverified') | null;
  verdictMessage: string | null;
}
