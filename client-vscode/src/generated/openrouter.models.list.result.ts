/* Generated from schemas/openrouter.models.list.result.schema.json (openrouter/models/list result) by scripts/gen-types.mjs — do not edit. */

export interface ModelsListResult {
  models: ModelInfo[];
  total: number;
  fetchedAt: string;
  stale: boolean;
}
export interface ModelInfo {
  id: string;
  name: string;
  description: string;
  contextLength: number | null;
  maxCompletionTokens: number | null;
  pricing: Pricing;
  inputModalities: string[];
  outputModalities: string[];
  supportsImages: boolean;
  supportsTools: boolean;
  supportsReasoning: boolean;
  supportedEfforts: string[];
  defaultEffort: string | null;
  reasoningMandatory: boolean;
  supportsPromptCaching: boolean;
  supportedParameters: string[];
  isFree: boolean;
  created: string | null;
  variablePricing: boolean;
  pricingNote: string | null;
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
