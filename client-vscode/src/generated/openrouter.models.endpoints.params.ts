/* Generated from schemas/openrouter.models.endpoints.params.schema.json (openrouter/models/endpoints params) by scripts/gen-types.mjs — do not edit. */

export interface ModelsEndpointsParams {
  modelId: string;
}
