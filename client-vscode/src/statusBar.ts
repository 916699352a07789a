/** The status-bar item: server state and the selected model; a click opens the settings. */
import * as vscode from 'vscode';
import type { ServerState } from './shared/messages';
import type { SettingsView } from './wire';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('openrouterLsp.status', vscode.StatusBarAlignment.Right, 100);
  private state: ServerState = 'starting';
  private detail: string | undefined;
  private settings: SettingsView | undefined;

  constructor() {
    this.item.name = 'OpenRouter';
    this.item.command = 'openrouterLsp.openSettings';
    this.render();
    this.item.show();
  }

  setState(state: ServerState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  setSettings(settings: SettingsView | undefined): void {
    this.settings = settings;
    this.render();
  }

  private render(): void {
    const model = this.settings?.modelId;
    const icon = { starting: '$(sync~spin)', restarting: '$(sync~spin)', running: '$(sparkle)', stopped: '$(error)' }[this.state];
    this.item.text = `${icon} ${this.state === 'running' ? (model ?? 'OpenRouter') : `OpenRouter: ${this.state}`}`;
    const lines = [`OpenRouter language server: ${this.state}`];
    if (this.detail) lines.push(this.detail);
    if (this.settings) {
      lines.push(`Model: ${this.settings.modelId}`);
      lines.push(`API key: ${this.settings.apiKey.isSet ? `set (${this.settings.apiKey.hint ?? ''})` : 'not set'}`);
    }
    lines.push('Click to open the settings');
    this.item.tooltip = lines.join('\n');
    this.item.backgroundColor = this.state === 'stopped' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
