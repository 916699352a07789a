/** The webview side of the relay: typed requests to the server through the extension host. */
import type { HostCommand, RpcError, ToHost, ToWebview } from '../../src/shared/messages';
import type { EditorAction, EditorActionMap } from '../../src/shared/contract';
import type { Method, Methods, UpstreamErrorData, FieldError } from '../../src/wire';
import { INVALID_PARAMS, REQUEST_CANCELLED, UPSTREAM_ERROR } from '../../src/wire';

interface VsCodeApi {
  postMessage(message: ToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export class RequestError extends Error {
  constructor(readonly rpc: RpcError) {
    super(rpc.message);
  }
  get cancelled(): boolean { return this.rpc.code === REQUEST_CANCELLED; }
  get upstream(): UpstreamErrorData | undefined {
    return this.rpc.code === UPSTREAM_ERROR ? (this.rpc.data as UpstreamErrorData) : undefined;
  }
  get fieldErrors(): FieldError[] {
    if (this.rpc.code !== INVALID_PARAMS) return [];
    const errors = (this.rpc.data as { errors?: unknown } | undefined)?.errors;
    return Array.isArray(errors) ? (errors as FieldError[]) : [];
  }
  /** The sentence to show a person. */
  get display(): string {
    return this.upstream?.message ?? this.rpc.message;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: RequestError): void;
  onProgress?: (value: unknown) => void;
}

let nextId = 1;
const pending = new Map<number, Pending>();
const notificationHandlers = new Map<string, Array<(params: unknown) => void>>();
const otherHandlers: Array<(message: ToWebview) => void> = [];

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  switch (message.type) {
    case 'response': {
      const entry = pending.get(message.id);
      if (!entry) return;
      pending.delete(message.id);
      if (message.error) entry.reject(new RequestError(message.error));
      else entry.resolve(message.result);
      return;
    }
    case 'progress':
      pending.get(message.id)?.onProgress?.(message.value);
      return;
    case 'editorResult': {
      const entry = pending.get(message.id);
      if (!entry) return;
      pending.delete(message.id);
      if (message.error !== undefined) entry.reject(new RequestError({ code: -32603, message: message.error }));
      else entry.resolve(message.result);
      return;
    }
    case 'notification':
      for (const handler of notificationHandlers.get(message.method) ?? []) handler(message.params);
      return;
    default:
      for (const handler of otherHandlers) handler(message);
  }
});

export interface Call<R> { id: number; result: Promise<R>; cancel(): void }

export function call<M extends Method>(
  method: M,
  params: Methods[M]['params'],
  onProgress?: (value: unknown) => void,
): Call<Methods[M]['result']> {
  const id = nextId++;
  const result = new Promise<Methods[M]['result']>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
  });
  vscode.postMessage({ type: 'request', id, method, params, stream: onProgress !== undefined });
  return { id, result, cancel: () => vscode.postMessage({ type: 'cancel', id }) };
}

export function request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
  return call(method, params).result;
}

/** Asks the editor (the extension host) to do something: attach the selection, insert text … */
export function editorAction<A extends EditorAction>(action: A, arg?: EditorActionMap[A]['arg']): Promise<EditorActionMap[A]['result']> {
  const id = nextId++;
  const result = new Promise<EditorActionMap[A]['result']>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
  });
  vscode.postMessage({ type: 'editor', id, action, arg: arg ?? undefined });
  return result;
}

export function onNotification(method: string, handler: (params: unknown) => void): void {
  const list = notificationHandlers.get(method) ?? [];
  list.push(handler);
  notificationHandlers.set(method, list);
}

export function onHostMessage(handler: (message: ToWebview) => void): void {
  otherHandlers.push(handler);
}

export function command(name: HostCommand, arg?: string): void {
  vscode.postMessage({ type: 'command', command: name, arg });
}

export function ready(): void {
  vscode.postMessage({ type: 'ready' });
}

export function getState<T>(): T | undefined {
  return (vscode.getState() as T | null) ?? undefined;
}

export function setState<T>(state: T): void {
  vscode.setState(state);
}

/** Tells the host whether the page has unsaved edits (and which), so closing it can offer to save. */
export function reportDirty(dirty: boolean, patch: Record<string, unknown> | null, keyTyped: boolean): void {
  vscode.postMessage({ type: 'dirty', dirty, patch, keyTyped });
}
