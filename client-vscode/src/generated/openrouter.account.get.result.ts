/* Generated from schemas/openrouter.account.get.result.schema.json (openrouter/account/get result) by scripts/gen-types.mjs — do not edit. */

export interface AccountGetResult {
  label: string | null;
  limit: number | null;
  usage: number | null;
  limitRemaining: number | null;
  isFreeTier: boolean | null;
  balanceUsd: number | null;
  totalCredits: number | null;
  totalUsage: number | null;
  balanceSource: ('credits' | 'key_limit') | null;
  checkedAt: string | null;
}
