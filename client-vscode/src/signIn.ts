/**
 * "Sign in with OpenRouter" on the host side: the callback URI the authorisation page sends the
 * browser back to, and completing the sign-in with the code that URI carries. The server runs
 * the flow (PKCE verifier, state, key exchange); this only hands the code over. No `vscode`
 * import, so the browser test harness completes a sign-in through the very same code.
 */
import type { Methods, SignInResult } from './wire';

/** `publisher.name` of package.json: VS Code routes `<scheme>://<this>/…` to our URI handler. */
export const EXTENSION_ID = 'openrouter-lsp.openrouter-lsp';
export const SIGN_IN_PATH = '/signin';

/** The URI before `asExternalUri`, e.g. `vscode://openrouter-lsp.openrouter-lsp/signin`. */
export function signInCallbackUri(uriScheme: string): string {
  return `${uriScheme}://${EXTENSION_ID}${SIGN_IN_PATH}`;
}

export type CompleteRequest = (
  method: 'openrouter/signIn/complete', params: Methods['openrouter/signIn/complete']['params'],
) => Promise<unknown>;

/** The code and state of a sign-in redirect's query (`code=…&state=…`, with or without `?`). */
export function signInRedirect(query: string): { code: string; state: string | null } {
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  const code = params.get('code') ?? '';
  if (!code) throw new Error('The browser came back from OpenRouter without a sign-in code. Sign in again.');
  return { code, state: params.get('state') };
}

/** Hands the redirect's code to the server, which exchanges it for a key and stores it. */
export async function completeSignIn(request: CompleteRequest, query: string): Promise<SignInResult> {
  const { code, state } = signInRedirect(query);
  return (await request('openrouter/signIn/complete', { code, state })) as SignInResult;
}
