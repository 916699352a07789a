/* Generated from schemas/error.upstream.data.schema.json (data of JSON-RPC error -32001 (upstream and configuration failures)) by scripts/gen-types.mjs — do not edit. */

/**
 * `data` of a -32001 error: what went wrong upstream, as a sentence a person can act on.
 */
export interface ErrorUpstreamData {
  kind:
    | 'no_api_key'
    | 'auth'
    | 'credits'
    | 'moderation'
    | 'timeout'
    | 'rate_limit'
    | 'context_length'
    | 'bad_request'
    | 'unavailable'
    | 'network'
    | 'stream_error'
    | 'insufficient_credits';
  message: string;
  status?: number | null;
  retryAfterSeconds?: number | null;
  providerName?: string | null;
  partialContent?: string | null;
}
