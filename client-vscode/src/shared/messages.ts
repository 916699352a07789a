/**
 * Messages between a webview (settings panel, chat view) and the extension host.
 * The host is a relay: a webview asks for a server method by name, the host forwards it
 * and posts the answer back. No provider logic lives on either side of this union.
 */
import type { Method, Methods } from '../wire';
import type { EditorAction } from './contract';

/** A JSON-RPC error, as the webview sees it. */
export interface RpcError { code: number; message: string; data?: unknown }

export type ToHost =
  | { type: 'ready' }
  | { type: 'request'; id: number; method: Method; params: unknown; stream?: boolean }
  | { type: 'cancel'; id: number }
  | { type: 'command'; command: HostCommand; arg?: string }
  /** The settings panel's unsaved edits, so the host can offer to save them when it closes. */
  | { type: 'dirty'; dirty: boolean; patch: Record<string, unknown> | null; keyTyped: boolean }
  | { type: 'editor'; id: number; action: EditorAction; arg?: string };

export type HostCommand = 'openSettings' | 'openExternal' | 'showLog';

export type ToWebview =
  | { type: 'response'; id: number; result?: unknown; error?: RpcError }
  | { type: 'progress'; id: number; value: unknown }
  | { type: 'notification'; method: string; params: unknown }
  | { type: 'serverState'; state: ServerState; detail?: string }
  | { type: 'editorResult'; id: number; result?: unknown; error?: string }
  | { type: 'newChat' }
  /** What only the host knows, posted when the page says it is ready. */
  | { type: 'hostInfo'; signInCallbackUrl: string | null }
  /** The view was shown again (its tab selected, its sidebar opened). */
  | { type: 'visible' };

export type ServerState = 'starting' | 'running' | 'restarting' | 'stopped';

export type ResultOf<M extends Method> = Methods[M]['result'];
export type ParamsOf<M extends Method> = Methods[M]['params'];
