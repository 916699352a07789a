/* Generated from schemas/openrouter.models.list.params.schema.json (openrouter/models/list params) by scripts/gen-types.mjs — do not edit. */

/**
 * Which models to list and in what order; every filter is off by default.
 *
 * `query` ranks exact ids/names first, then whole words and id segments ("mini" in
 * `openai/gpt-4o-mini`), then word prefixes, then other substrings; each of its words must
 * match (its first 8 distinct words count). Favourites (`favoriteModels`) come first in
 * whatever order is chosen.
 */
export interface ModelsListParams {
  refresh?: boolean;
  query?: string | null;
  free?: boolean;
  imageInput?: boolean;
  tools?: boolean;
  reasoning?: boolean;
  caching?: boolean;
  minContext?: number | null;
  maxPromptPrice?: number | null;
  sort?: 'default' | 'price' | 'context' | 'newest';
  limit?: number | null;
  offset?: number;
  ids?: string[] | null;
}
