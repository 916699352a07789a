/**
 * The sentences under the key field: the key's status (with the server's verdict on it when the
 * server checks keys) and the account's balance. The verdict and balance fields are read when
 * present (CONTRACT.md, "Account and key"), so a server without them still gets the older lines.
 */
import type { AccountBalance, AccountInfo, ApiKeyStatus, KeyVerdict } from '../../src/wire';
import { formatUsd } from '../common/format';

export interface Line { text: string; className: string }

function sourceNote(key: ApiKeyStatus): string {
  if (!key.source) return '';
  return ` (from ${key.source === 'env' ? 'the OPENROUTER_API_KEY environment variable' : key.source})`;
}

export function keyStatusLine(key: ApiKeyStatus & KeyVerdict): Line {
  if (!key.isSet) return { text: 'No key set', className: 'warning-text' };
  const hint = key.hint ?? 'hidden';
  const note = key.verdictMessage ? `: ${key.verdictMessage}` : '';
  switch (key.verdict) {
    case 'rejected':
      return { text: `Key rejected: ${hint}${sourceNote(key)}${note || ': the provider does not accept it'}`, className: 'error-text' };
    case 'accepted':
      return { text: `Key set and accepted: ${hint}${sourceNote(key)}`, className: 'ok' };
    case 'unverified':
      return { text: `Key set, not checked: ${hint}${sourceNote(key)}${note}`, className: 'warning-text' };
    default:
      return { text: `Key set: ${hint}${sourceNote(key)}`, className: 'ok' };
  }
}

export function creditsLine(account: AccountInfo & AccountBalance): string {
  const used = account.usage !== null && account.usage !== undefined ? ` · used ${formatUsd(account.usage)}` : '';
  if (typeof account.balanceUsd === 'number') {
    const of = account.balanceSource === 'key_limit' && account.limit !== null ? ` of this key's ${formatUsd(account.limit)} limit`
      : typeof account.totalCredits === 'number' ? ` of ${formatUsd(account.totalCredits)} bought` : '';
    return `Balance: ${formatUsd(account.balanceUsd)}${of}${used}`;
  }
  return account.limitRemaining !== null && account.limitRemaining !== undefined
    ? `Credits left: ${formatUsd(account.limitRemaining)}${account.limit !== null ? ` of ${formatUsd(account.limit)}` : ''}${used}`
    : `No credit limit on this key${used}`;
}
