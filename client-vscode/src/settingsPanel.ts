/**
 * The gear-icon settings panel: one webview panel in the editor area, revealed if already open.
 *
 * Edits are saved with the page's Save button (or Enter in a text field), as in the settings
 * pages of Cline, Roo Code and Kilo Code. While there are unsaved edits the tab's title starts
 * with "●", as a dirty editor's tab does. A webview panel cannot refuse to close, so when it is
 * closed with unsaved edits the user is asked right after whether to save them (the typed API
 * key is never held by the extension: it is only sent with Save).
 */
import * as vscode from 'vscode';
import type { ServerManager } from './server';
import { attachWebview, webviewOptions, type DirtyState } from './webviewHost';

const TITLE = 'OpenRouter Settings';

export class SettingsPanel {
  static readonly viewType = 'openrouterLsp.settings';
  private static current: SettingsPanel | undefined;
  private dirty: DirtyState | undefined;

  static show(extensionUri: vscode.Uri, server: ServerManager): void {
    if (SettingsPanel.current) {
      SettingsPanel.current.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(SettingsPanel.viewType, TITLE, vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      // Unsaved edits must survive the tab being hidden; the page also keeps them in its state.
      retainContextWhenHidden: true,
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'openrouter.svg');
    SettingsPanel.current = new SettingsPanel(panel, extensionUri, server);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly server: ServerManager) {
    const host = attachWebview(panel.webview, extensionUri, server, 'settings', TITLE, (state) => {
      this.dirty = state.dirty ? state : undefined;
      panel.title = state.dirty ? `● ${TITLE}` : TITLE;
    });
    panel.onDidChangeViewState(({ webviewPanel }) => {
      // The balance may have changed while the tab was in the background.
      if (webviewPanel.visible) host.post({ type: 'visible' });
    });
    panel.onDidDispose(() => {
      host.dispose();
      SettingsPanel.current = undefined;
      if (this.dirty) void this.offerToSave(this.dirty, extensionUri);
    });
  }

  private async offerToSave(dirty: DirtyState, extensionUri: vscode.Uri): Promise<void> {
    const patch = dirty.patch && Object.keys(dirty.patch).length > 0 ? dirty.patch : null;
    const keyNote = dirty.keyTyped ? ' The API key you typed was not kept; paste it again to save it.' : '';
    if (!patch) {
      if (dirty.keyTyped) void vscode.window.showWarningMessage('The OpenRouter settings were closed before the API key you typed was saved; paste it again to save it.');
      return;
    }
    const choice = await vscode.window.showWarningMessage(
      'Save the changes you made in the OpenRouter settings?',
      { modal: true, detail: `The settings panel was closed with unsaved changes.${keyNote}` },
      'Save', "Don't Save",
    );
    if (choice === 'Save') {
      try {
        await this.server.request('openrouter/settings/update', { patch });
        void vscode.window.showInformationMessage('OpenRouter settings saved.');
      } catch (err) {
        const message = (err as { data?: { errors?: Array<{ path: string; message: string }> }; message?: string });
        const detail = message.data?.errors?.map((e) => `${e.path} ${e.message}`).join('; ') ?? message.message ?? String(err);
        const again = await vscode.window.showErrorMessage(`The OpenRouter settings were not saved: ${detail}`, 'Open Settings');
        if (again) SettingsPanel.show(extensionUri, this.server);
      }
    }
  }
}
