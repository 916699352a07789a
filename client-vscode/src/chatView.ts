/** The chat view in the OpenRouter activity-bar container. */
import type * as vscode from 'vscode';
import type { ServerManager } from './server';
import type { ToWebview } from './shared/messages';
import { attachWebview } from './webviewHost';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'openrouterLsp.chat';
  private host: (vscode.Disposable & { post(message: ToWebview): void }) | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly server: ServerManager) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.host?.dispose();
    const host = attachWebview(view.webview, this.extensionUri, this.server, 'chat', 'OpenRouter Chat');
    this.host = host;
    view.onDidDispose(() => {
      host.dispose();
      if (this.host === host) this.host = undefined;
    });
  }

  newChat(): void {
    this.host?.post({ type: 'newChat' });
  }

  dispose(): void {
    this.host?.dispose();
  }
}
