/**
 * Starts the language server with vscode-languageclient and keeps it running: a crash is
 * restarted with back-off and the user is told. Other parts subscribe here, not to the client,
 * so their handlers survive a restart.
 */
import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, ProgressType, State, TransportKind,
  type CloseHandlerResult, type ErrorHandlerResult, type LanguageClientOptions, type ServerOptions,
} from 'vscode-languageclient/node';
import type { CancellationToken } from 'vscode-jsonrpc';
import type { ServerRpc } from './bridge';
import type { ServerState } from './shared/messages';
import { findPython, serverEnv } from './python';

const BACKOFF_MS = [1000, 2000, 5000, 10000, 30000];
/** Up this long, the server is considered healthy again and the back-off starts over. */
const HEALTHY_MS = 60000;

export class ServerManager implements ServerRpc, vscode.Disposable {
  private client: LanguageClient | undefined;
  private state: ServerState = 'stopped';
  private crashes = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly notificationHandlers = new Map<string, Set<(params: unknown) => void>>();
  private readonly stateEmitter = new vscode.EventEmitter<{ state: ServerState; detail?: string }>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  get current(): ServerState { return this.state; }

  async start(): Promise<void> {
    const config = vscode.workspace.getConfiguration('openrouterLsp');
    const python = findPython(config.get<string>('pythonPath', '').trim());
    if ('error' in python) {
      this.setState('stopped', python.error);
      void vscode.window.showErrorMessage(python.error, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'openrouterLsp.pythonPath');
      });
      return;
    }
    const args = ['-m', 'openrouter_lsp', ...config.get<string[]>('serverArgs', [])];
    this.output.info(`Starting ${python.command} (Python ${python.version}) ${args.join(' ')}`);
    const serverOptions: ServerOptions = {
      command: python.command,
      args,
      transport: TransportKind.stdio,
      options: { env: serverEnv(this.context.extensionPath), cwd: this.context.extensionPath },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: 4, // never: errors are told through notifications instead
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => {
          if (!this.stopping) this.scheduleRestart();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      initializationOptions: { client: 'vscode-openrouter-lsp' },
    };
    const client = new LanguageClient('openrouterLsp', 'OpenRouter LSP', serverOptions, clientOptions);
    this.client = client;
    for (const [method, handlers] of this.notificationHandlers) {
      client.onNotification(method, (params: unknown) => handlers.forEach((h) => h(params)));
    }
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.setState('running');
    });
    this.setState(this.crashes > 0 ? 'restarting' : 'starting');
    try {
      this.stopping = false;
      await client.start();
      this.startedAt = Date.now();
      this.setState('running');
    } catch (err) {
      this.output.error(`The language server did not start: ${String(err)}`);
      if (!this.stopping) this.scheduleRestart();
    }
  }

  private scheduleRestart(): void {
    if (this.restartTimer) return;
    if (this.startedAt && Date.now() - this.startedAt > HEALTHY_MS) this.crashes = 0;
    const delay = BACKOFF_MS[Math.min(this.crashes, BACKOFF_MS.length - 1)]!;
    this.crashes++;
    const message = `The OpenRouter language server stopped unexpectedly; restarting in ${Math.round(delay / 1000)} s (attempt ${this.crashes}).`;
    this.output.warn(message);
    this.setState('restarting', message);
    void vscode.window.showWarningMessage(message, 'Show Log').then((choice) => {
      if (choice) this.output.show();
    });
    const dead = this.client;
    this.client = undefined;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void dead?.dispose().catch(() => undefined);
      void this.start();
    }, delay);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.crashes = 0;
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      try { await client.stop(5000); } catch (err) { this.output.warn(`Stopping the server: ${String(err)}`); }
    }
    this.setState('stopped');
  }

  private setState(state: ServerState, detail?: string): void {
    this.state = state;
    this.stateEmitter.fire({ state, detail });
  }

  /** Subscribe to a server notification, across restarts. */
  onNotification(method: string, handler: (params: unknown) => void): vscode.Disposable {
    let handlers = this.notificationHandlers.get(method);
    if (!handlers) {
      handlers = new Set();
      this.notificationHandlers.set(method, handlers);
      const set = handlers;
      this.client?.onNotification(method, (params: unknown) => set.forEach((h) => h(params)));
    }
    handlers.add(handler);
    return new vscode.Disposable(() => handlers.delete(handler));
  }

  request(method: string, params: unknown, token?: CancellationToken): Promise<unknown> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      return Promise.reject(Object.assign(new Error('The OpenRouter language server is not running.'), { code: -32099 }));
    }
    // A trailing `undefined` token would be sent as a second positional param ([params, null]).
    return token ? client.sendRequest(method, params, token as vscode.CancellationToken) : client.sendRequest(method, params);
  }

  onProgress(token: string, handler: (value: unknown) => void): vscode.Disposable {
    const client = this.client;
    if (!client) return new vscode.Disposable(() => undefined);
    return client.onProgress(new ProgressType<unknown>(), token, handler);
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }
}
