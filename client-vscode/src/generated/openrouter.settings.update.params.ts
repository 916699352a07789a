/* Generated from schemas/openrouter.settings.update.params.schema.json (openrouter/settings/update params) by scripts/gen-types.mjs — do not edit. */

export interface SettingsUpdateParams {
  patch: {
    [k: string]: unknown;
  };
}
