/* Generated from schemas/openrouter.settings.update.result.schema.json (openrouter/settings/update result) by scripts/gen-types.mjs — do not edit. */

/**
 * The settings as a client shows them: the document plus the key's status.
 */
export interface SettingsUpdateResult {
  provider: 'openrouter' | 'openai-compatible';
  modelId: string;
  useCustomBaseUrl: boolean;
  customBaseUrl: string;
  middleOutTransform: boolean;
  routing: RoutingSettings;
  promptCaching: boolean;
  apiKey: ApiKeyStatus;
  effectiveBaseUrl: string;
}
/**
 * How OpenRouter picks the provider that serves a request.
 */
export interface RoutingSettings {
  sort: 'default' | 'price' | 'throughput' | 'latency';
  provider: string | null;
  allowFallbacks: boolean;
  dataPolicy: 'default' | 'allow' | 'deny' | 'zdr';
}
export interface ApiKeyStatus {
  isSet: boolean;
  hint: string | null;
  source: ('env' | 'keyring' | 'file') | null;
}
