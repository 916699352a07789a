/* Generated from schemas/settings.schema.json (The persisted settings document) by scripts/gen-types.mjs — do not edit. */

/**
 * The settings document: what a user chooses.
 */
export interface Settings {
  provider?: 'openrouter' | 'openai-compatible';
  modelId?: string;
  useCustomBaseUrl?: boolean;
  customBaseUrl?: string;
  middleOutTransform?: boolean;
  routing?: RoutingSettings;
  promptCaching?: boolean;
  reasoningEffort?: 'default' | 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  maxOutputTokens?: number | null;
  modelVariant?: ('nitro' | 'floor' | 'exacto' | 'online') | null;
  /**
   * @maxItems 3
   */
  fallbackModels?: [] | [string] | [string, string] | [string, string, string];
  providerPins?: {
    [k: string]: string;
  };
  /**
   * @maxItems 200
   */
  favoriteModels?: string[];
  chatHistory?: boolean;
}
/**
 * How OpenRouter picks the provider that serves a request.
 */
export interface RoutingSettings {
  sort?: 'default' | 'price' | 'throughput' | 'latency';
  provider?: string | null;
  allowFallbacks?: boolean;
  dataPolicy?: 'default' | 'allow' | 'deny' | 'zdr';
  maxPrice?: MaxPrice;
  quantizations?: (
    | 'int4'
    | 'int8'
    | 'fp4'
    | 'mxfp4'
    | 'nvfp4'
    | 'fp6'
    | 'fp8'
    | 'mxfp8'
    | 'fp16'
    | 'bf16'
    | 'fp32'
    | 'unknown'
  )[];
  /**
   * @maxItems 200
   */
  ignore?: string[];
  preferredMinThroughput?: number | null;
  preferredMaxLatency?: number | null;
}
/**
 * The most a request may cost, USD per million tokens (`provider.max_price`); null: no cap.
 */
export interface MaxPrice {
  prompt?: number | null;
  completion?: number | null;
}
