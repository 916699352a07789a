/* Generated from schemas/error.invalidParams.data.schema.json (data of JSON-RPC error -32602 (invalid params)) by scripts/gen-types.mjs — do not edit. */

/**
 * One entry per offending field.
 */
export interface ErrorInvalidParamsData {
  errors: FieldError[];
}
export interface FieldError {
  path: string;
  message: string;
}
