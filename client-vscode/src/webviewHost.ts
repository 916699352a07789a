/** Wires one webview to the server: HTML, the message relay, notifications and server state. */
import * as vscode from 'vscode';
import { WebviewBridge } from './bridge';
import { vscodeEditorActions } from './editorActions';
import { renderWebviewHtml } from './html';
import type { HostCommand, ToHost, ToWebview } from './shared/messages';
import type { ServerManager } from './server';
import { SETTINGS_DID_CHANGE } from './wire';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

export function attachWebview(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  server: ServerManager,
  page: 'settings' | 'chat',
  title: string,
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
  const bridge = new WebviewBridge(() => server, post, runHostCommand, page === 'chat' ? vscodeEditorActions : undefined);
  const subscriptions: vscode.Disposable[] = [
    webview.onDidReceiveMessage((message: ToHost) => bridge.handle(message)),
    server.onNotification(SETTINGS_DID_CHANGE, (params) => post({ type: 'notification', method: SETTINGS_DID_CHANGE, params })),
    server.onDidChangeState(({ state, detail }) => post({ type: 'serverState', state, detail })),
    bridge,
  ];
  return {
    post,
    dispose: () => subscriptions.forEach((d) => d.dispose()),
  };
}

export function runHostCommand(command: HostCommand, arg?: string): void {
  switch (command) {
    case 'openSettings':
      void vscode.commands.executeCommand('openrouterLsp.openSettings');
      return;
    case 'openExternal':
      // Only web links: a webview must not make the host open arbitrary schemes.
      if (arg && /^https:\/\//.test(arg)) void vscode.env.openExternal(vscode.Uri.parse(arg));
      return;
    case 'showLog':
      void vscode.commands.executeCommand('openrouterLsp.showLog');
      return;
  }
}
