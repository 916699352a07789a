/** The gear-icon settings panel: one webview panel in the editor area, revealed if already open. */
import * as vscode from 'vscode';
import type { ServerManager } from './server';
import { attachWebview, webviewOptions } from './webviewHost';

export class SettingsPanel {
  static readonly viewType = 'openrouterLsp.settings';
  private static current: SettingsPanel | undefined;

  static show(extensionUri: vscode.Uri, server: ServerManager): void {
    if (SettingsPanel.current) {
      SettingsPanel.current.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(SettingsPanel.viewType, 'OpenRouter Settings', vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      // Unsaved edits must survive the tab being hidden; the page also keeps them in its state.
      retainContextWhenHidden: true,
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'openrouter.svg');
    SettingsPanel.current = new SettingsPanel(panel, extensionUri, server);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, server: ServerManager) {
    const host = attachWebview(panel.webview, extensionUri, server, 'settings', 'OpenRouter Settings');
    panel.onDidDispose(() => {
      host.dispose();
      SettingsPanel.current = undefined;
    });
  }
}
