/* Generated from schemas/openrouter.settings.get.params.schema.json (openrouter/settings/get params) by scripts/gen-types.mjs — do not edit. */

/**
 * No params: `{}`, `null`, absent params and `[]` are accepted.
 */
export type SettingsGetParams = {} | null | [];
