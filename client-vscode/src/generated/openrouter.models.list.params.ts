/* Generated from schemas/openrouter.models.list.params.schema.json (openrouter/models/list params) by scripts/gen-types.mjs — do not edit. */

export interface ModelsListParams {
  refresh?: boolean;
  query?: string | null;
}
