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
  providerPins?: {
    [k: string]: string;
  };
  /**
   * @maxItems 200
   */
  favoriteModels?: string[];
}
/**
 * How OpenRouter picks the provider that serves a request.
 */
export interface RoutingSettings {
  sort?: 'default' | 'price' | 'throughput' | 'latency';
  provider?: string | null;
  allowFallbacks?: boolean;
  dataPolicy?: 'default' | 'allow' | 'deny' | 'zdr';
}
