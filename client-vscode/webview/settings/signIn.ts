/**
 * "Sign in with OpenRouter" beside the key field. The server runs the OAuth PKCE flow; this asks
 * it to start with the callback the host gave (VS Code's URI handler; without one the server
 * listens on the loopback), opens the authorisation page, and shows how the flow ended
 * (`openrouter/signIn/didFinish`). The key itself arrives through the settings notification.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { SignInResult } from '../../src/wire';
import { SIGN_IN_DID_FINISH } from '../../src/wire';
import { h } from '../common/format';
import { command, onHostMessage, onNotification, request, RequestError } from '../common/host';

export interface SignIn {
  button: HTMLElement;
  status: HTMLElement;
  /** Shown only for the OpenRouter provider: an OpenAI-compatible server takes a pasted key. */
  sync(provider: string): void;
}

export function signIn(onSignedIn: () => void): SignIn {
  const button = h('vscode-button', { id: 'signIn', icon: 'sign-in' }, 'Sign in with OpenRouter') as unknown as VscodeButton;
  const cancel = h('vscode-button', { id: 'cancelSignIn', secondary: true, hidden: true }, 'Cancel sign-in') as unknown as VscodeButton;
  const text = h('span', { id: 'signInStatusText' });
  const status = h('div', { id: 'signInStatus', role: 'status', class: 'sign-in-status' }, text, cancel);
  let callbackUrl: string | null = null;
  let pending: string | null = null; // the state of the flow this page started

  onHostMessage((message) => {
    if (message.type === 'hostInfo') callbackUrl = message.signInCallbackUrl;
  });

  const show = (message: string, kind: 'ok' | 'warning-text' | '' = ''): void => {
    text.textContent = message;
    text.className = kind;
    cancel.hidden = pending === null;
    button.disabled = pending !== null;
  };

  button.addEventListener('click', async () => {
    pending = '';
    show('Starting the sign-in…');
    try {
      const started = await request('openrouter/signIn/start', callbackUrl ? { callbackUrl } : {});
      pending = started.state;
      command('openExternal', started.authUrl);
      show('Continue in your browser: authorise this editor there, and the key is stored here.');
    } catch (err) {
      pending = null;
      const fields = err instanceof RequestError ? err.fieldErrors : [];
      const reason = fields.length > 0 ? fields.map((f) => f.message).join(' ') : err instanceof RequestError ? err.display : String(err);
      show(`The sign-in could not start: ${reason}`, 'warning-text');
    }
  });

  cancel.addEventListener('click', () => { void request('openrouter/signIn/cancel', {}).catch(() => undefined); });

  onNotification(SIGN_IN_DID_FINISH, (params) => {
    const result = params as SignInResult;
    // While starting ('') the only news can be of the flow the new one replaces: not ours to show.
    if (pending === null || pending === '' || result.state !== pending) return;
    pending = null;
    show(result.message, result.outcome === 'signed_in' ? 'ok' : 'warning-text');
    if (result.outcome === 'signed_in') onSignedIn();
  });

  return {
    button,
    status,
    sync(provider: string): void {
      const openRouter = provider === 'openrouter';
      button.hidden = !openRouter;
      status.hidden = !openRouter;
    },
  };
}
