/* Generated from schemas/openrouter.settings.didChange.params.schema.json (openrouter/settings/didChange notification params) by scripts/gen-types.mjs — do not edit. */

/**
 * The settings as a client shows them: the document plus the key's status.
 */
export interface SettingsDidChangeParams {
  provider: 'openrouter' | 'openai-compatible';
  modelId: string;
  useCustomBaseUrl: boolean;
  customBaseUrl: string;
  middleOutTransform: boolean;
  routing: RoutingSettings;
  promptCaching: boolean;
  reasoningEffort: 'default' | 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  maxOutputTokens: number | null;
  modelVariant: ('nitro' | 'floor' | 'exacto' | 'online') | null;
  fallbackModels: string[];
  apiKey: ApiKeyStatus;
  effectiveBaseUrl: string;
  providerPin: ProviderPin;
  favoriteModels: string[];
  chatHistory: boolean;
}
/**
 * How OpenRouter picks the provider that serves a request.
 */
export interface RoutingSettings {
  sort: 'default' | 'price' | 'throughput' | 'latency';
  provider: string | null;
  allowFallbacks: boolean;
  dataPolicy: 'default' | 'allow' | 'deny' | 'zdr';
  maxPrice: MaxPrice;
  quantizations: (
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
  ignore: string[];
  preferredMinThroughput: number | null;
  preferredMaxLatency: number | null;
}
/**
 * The most a request may cost, USD per million tokens (`provider.max_price`); null: no cap.
 */
export interface MaxPrice {
  prompt: number | null;
  completion: number | null;
}
export interface ApiKeyStatus {
  isSet: boolean;
  hint: string | null;
  source: ('env' | 'keyring' | 'file') | null;
  verdict: ('accepted' | 'rejected' | 'unverified') | null;
  verdictMessage: string | null;
}
/**
 * The provider pinned for the current model and whether that model's endpoints serve it.
 *
 * Pins are kept per model: switching models brings back the pin chosen for that model (or none).
 */
export interface ProviderPin {
  provider: string | null;
  state: 'none' | 'ok' | 'unchecked' | 'not_served';
  message: string | null;
}
