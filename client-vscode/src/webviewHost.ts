/** Wires one webview to the server: HTML, the message relay, notifications and server state. */
import * as vscode from 'vscode';
import { WebviewBridge } from './bridge';
import { vscodeEditorActions } from './editorActions';
import { renderWebviewHtml } from './html';
import type { HostCommand, ToHost, ToWebview } from './shared/messages';
import type { ServerManager } from './server';
import { signInCallbackUri } from './signIn';
import { WEBVIEW_NOTIFICATIONS } from './wire';

export type DirtyState = Extract<ToHost, { type: 'dirty' }>;

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

export function attachWebview(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  server: ServerManager,
  page: 'settings' | 'chat',
  title: string,
  onDirty: (state: DirtyState) => void = () => undefined,
): vscode.Disposable & { post(message: ToWebview): void } {
  const asset = (...parts: string[]): string =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', ...parts)).toString();
  webview.options = webviewOptions(extensionUri);
  webview.html = renderWebviewHtml({
    cspSource: webview.cspSource,
    title,
    scriptUri: asset(`${page}.js`),
    styleUri: asset(`${page}.css`),
    codiconUri: asset('codicons', 'codicon.css'),
  });
  const post = (message: ToWebview): void => { void webview.postMessage(message); };
  const onPageEvent = (message: Extract<ToHost, { type: 'ready' | 'dirty' }>): void => {
    if (message.type === 'dirty') onDirty(message);
    else void postHostInfo(post);
  };
  const bridge = new WebviewBridge(() => server, post, runHostCommand, onPageEvent,
    page === 'chat' ? vscodeEditorActions : undefined);
  const subscriptions: vscode.Disposable[] = [
    webview.onDidReceiveMessage((message: ToHost) => bridge.handle(message)),
    ...WEBVIEW_NOTIFICATIONS.map((method) => server.onNotification(method, (params) => post({ type: 'notification', method, params }))),
    server.onDidChangeState(({ state, detail }) => post({ type: 'serverState', state, detail })),
    bridge,
  ];
  return {
    post,
    dispose: () => subscriptions.forEach((d) => d.dispose()),
  };
}

/**
 * The sign-in callback as the browser must see it: `asExternalUri` turns `vscode://…` into what
 * reaches this window (a code-server or Codespaces URL in a remote set-up).
 */
async function postHostInfo(post: (message: ToWebview) => void): Promise<void> {
  let signInCallbackUrl: string | null = null;
  try {
    const uri = await vscode.env.asExternalUri(vscode.Uri.parse(signInCallbackUri(vscode.env.uriScheme)));
    signInCallbackUrl = uri.toString(true);
  } catch {
    // No external URI in this editor: the page then lets the server listen on the loopback.
  }
  post({ type: 'hostInfo', signInCallbackUrl });
}

/** Web pages, and the loopback (a local gateway's or an emulator's sign-in page). */
const OPENABLE = /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/)/;

export function runHostCommand(command: HostCommand, arg?: string): void {
  switch (command) {
    case 'openSettings':
      void vscode.commands.executeCommand('openrouterLsp.openSettings');
      return;
    case 'openExternal':
      // Only web links: a webview must not make the host open arbitrary schemes.
      if (arg && OPENABLE.test(arg)) void vscode.env.openExternal(vscode.Uri.parse(arg));
      return;
    case 'showLog':
      void vscode.commands.executeCommand('openrouterLsp.showLog');
      return;
  }
}
