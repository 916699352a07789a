/**
 * The host side of a webview: relays the webview's requests to the language server and posts
 * answers, stream increments and notifications back. It knows method names, not their meaning.
 * It imports nothing from `vscode`, so the browser test harness runs the very same code.
 */
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';
import type { EditorAction, EditorActionMap } from './shared/contract';
import type { HostCommand, RpcError, ToHost, ToWebview } from './shared/messages';
import { METHODS, REQUEST_CANCELLED } from './wire';

export interface Disposable { dispose(): void }

/** What the bridge needs from a connection to the server (a LanguageClient or a raw connection). */
export interface ServerRpc {
  request(method: string, params: unknown, token: CancellationToken): Promise<unknown>;
  onProgress(token: string, handler: (value: unknown) => void): Disposable;
}

/** What a webview may ask of the editor: the extension's real editor, or a test's stand-in. */
export type EditorActions = {
  [A in EditorAction]: (arg: EditorActionMap[A]['arg']) => Promise<EditorActionMap[A]['result']>;
};

let tokenCounter = 0;

export class WebviewBridge implements Disposable {
  private readonly pending = new Map<number, CancellationTokenSource>();

  constructor(
    private readonly rpc: () => ServerRpc | undefined,
    private readonly post: (message: ToWebview) => unknown,
    private readonly runCommand: (command: HostCommand, arg?: string) => void,
    /** The page's own news for the host: it is ready, its unsaved edits changed. */
    private readonly onPageEvent: (message: Extract<ToHost, { type: 'ready' | 'dirty' }>) => void = () => undefined,
    private readonly editor?: EditorActions,
  ) {}

  handle(message: ToHost): void {
    switch (message.type) {
      case 'request':
        void this.request(message.id, message.method, message.params, message.stream === true);
        return;
      case 'cancel':
        this.pending.get(message.id)?.cancel();
        return;
      case 'command':
        this.runCommand(message.command, message.arg);
        return;
      case 'editor':
        void this.editorAction(message.id, message.action, message.arg);
        return;
      case 'ready':
      case 'dirty':
        this.onPageEvent(message);
        return;
    }
  }

  private async editorAction(id: number, action: EditorAction, arg: string | undefined): Promise<void> {
    const run = this.editor?.[action] as ((arg: string | undefined) => Promise<unknown>) | undefined;
    if (!run) {
      this.post({ type: 'editorResult', id, error: 'This view has no editor to work with.' });
      return;
    }
    try {
      this.post({ type: 'editorResult', id, result: await run(arg) });
    } catch (err) {
      this.post({ type: 'editorResult', id, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async request(id: number, method: string, params: unknown, stream: boolean): Promise<void> {
    if (!(METHODS as readonly string[]).includes(method)) {
      this.post({ type: 'response', id, error: { code: -32601, message: `Unknown method ${method}` } });
      return;
    }
    const rpc = this.rpc();
    if (!rpc) {
      this.post({ type: 'response', id, error: { code: -32099, message: 'The OpenRouter language server is not running.' } });
      return;
    }
    const source = new CancellationTokenSource();
    this.pending.set(id, source);
    let progress: Disposable | undefined;
    let sentParams = params;
    if (stream) {
      const token = `openrouter-chat-${process.pid}-${++tokenCounter}`;
      progress = rpc.onProgress(token, (value) => this.post({ type: 'progress', id, value }));
      sentParams = { ...(params as object), partialResultToken: token };
    }
    try {
      const result = await rpc.request(method, sentParams, source.token);
      if (result === undefined && source.token.isCancellationRequested) {
        // vscode-languageclient resolves a cancelled request with undefined.
        this.post({ type: 'response', id, error: { code: REQUEST_CANCELLED, message: 'Request cancelled' } });
      } else {
        this.post({ type: 'response', id, result });
      }
    } catch (err) {
      this.post({ type: 'response', id, error: toRpcError(err, source.token.isCancellationRequested) });
    } finally {
      progress?.dispose();
      this.pending.delete(id);
      source.dispose();
    }
  }

  dispose(): void {
    for (const source of this.pending.values()) source.cancel();
    this.pending.clear();
  }
}

export function toRpcError(err: unknown, cancelled = false): RpcError {
  const e = err as { code?: unknown; message?: unknown; data?: unknown; name?: unknown };
  if (typeof e?.code === 'number') {
    return { code: e.code, message: String(e.message ?? ''), data: e.data };
  }
  // vscode-languageclient turns a cancelled request into a CancellationError without a code.
  if (cancelled || e?.name === 'Canceled' || e?.message === 'Canceled') {
    return { code: REQUEST_CANCELLED, message: 'Request cancelled' };
  }
  return { code: -32603, message: err instanceof Error ? err.message : String(err) };
}
