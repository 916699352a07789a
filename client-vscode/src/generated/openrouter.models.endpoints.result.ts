/* Generated from schemas/openrouter.models.endpoints.result.schema.json (openrouter/models/endpoints result) by scripts/gen-types.mjs — do not edit. */

export interface ModelsEndpointsResult {
  modelId: string;
  providers: ProviderEndpoint[];
}
export interface ProviderEndpoint {
  tag: string;
  name: string;
  providerName: string;
  contextLength: number | null;
  maxCompletionTokens: number | null;
  quantization: string | null;
  status: number | null;
  uptimeLast30m: number | null;
  uptimeLast1d: number | null;
  latencyP50: number | null;
  throughputP50: number | null;
  supportsImplicitCaching: boolean | null;
  pricing: Pricing;
}
/**
 * USD per million tokens; None when unknown or variable.
 */
export interface Pricing {
  prompt: number | null;
  completion: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
}
