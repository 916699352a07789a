/**
 * The server's wire types, by the names the client uses. Everything here is derived from
 * src/generated/ (made from schemas/ by `npm run gen-types`), so nothing is written twice.
 */
import type * as G from './generated/index';

/**
 * Results always carry every field; the schemas mark fields with a default as optional
 * (they describe what the server accepts too), so results are read through Complete<>.
 */
export type Complete<T> = T extends ReadonlyArray<infer U>
  ? Array<Complete<U>>
  : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T;

export type SettingsView = Complete<G.SettingsGetResult>;
export type ApiKeyStatus = SettingsView['apiKey'];
export type SettingsDocument = Omit<SettingsView, 'apiKey'>;
export type Routing = SettingsView['routing'];
export type SortOption = Routing['sort'];
export type DataPolicy = Routing['dataPolicy'];
export type ProviderKind = SettingsView['provider'];
export type AccountInfo = Complete<G.AccountGetResult>;
export type ModelsList = Complete<G.ModelsListResult>;
export type ModelInfo = ModelsList['models'][number];
export type Endpoints = Complete<G.ModelsEndpointsResult>;
export type ProviderEndpoint = Endpoints['providers'][number];
export type ChatParams = G.ChatParams;
export type ChatMessage = ChatParams['messages'][number];
export type ChatProgress = G.ChatProgress;
export type ChatResult = Complete<G.ChatResult>;
export type SignInStartResult = Complete<G.SignInStartResult>;
export type SignInResult = Complete<G.SignInCompleteResult>;
export type ReasoningEffort = SettingsView['reasoningEffort'];
export type ModelVariant = NonNullable<SettingsView['modelVariant']>;
export type Quantization = Routing['quantizations'][number];
export type MaxPrice = Routing['maxPrice'];

/**
 * What the account helper adds to ApiKeyStatus and AccountInfo this round (CONTRACT.md,
 * "Account and key"). Optional here, so the panel works with a server that has them or not.
 */
export interface KeyVerdict {
  verdict?: 'accepted' | 'rejected' | 'unverified' | null;
  verdictMessage?: string | null;
}
export interface AccountBalance {
  balanceUsd?: number | null;
  totalCredits?: number | null;
  totalUsage?: number | null;
  balanceSource?: 'credits' | 'key_limit' | null;
  checkedAt?: string | null;
}

/** Every custom method the client may call, with its params and result. */
export interface Methods {
  'openrouter/settings/get': { params: G.SettingsGetParams; result: SettingsView };
  'openrouter/settings/update': { params: G.SettingsUpdateParams; result: SettingsView };
  'openrouter/apiKey/set': { params: G.ApiKeySetParams; result: ApiKeyStatus };
  'openrouter/apiKey/clear': { params: G.ApiKeyClearParams; result: ApiKeyStatus };
  'openrouter/account/get': { params: G.AccountGetParams; result: AccountInfo };
  'openrouter/models/list': { params: G.ModelsListParams; result: ModelsList };
  'openrouter/models/endpoints': { params: G.ModelsEndpointsParams; result: Endpoints };
  'openrouter/chat': { params: ChatParams; result: ChatResult };
  'openrouter/signIn/start': { params: G.SignInStartParams; result: SignInStartResult };
  'openrouter/signIn/complete': { params: G.SignInCompleteParams; result: SignInResult };
  'openrouter/signIn/cancel': { params: G.SignInCancelParams; result: SignInResult };
  'openrouter/conversations/list': { params: G.ConversationsListParams; result: Complete<G.ConversationsListResult> };
  'openrouter/conversations/get': { params: G.ConversationsGetParams; result: Complete<G.ConversationsGetResult> };
  'openrouter/conversations/rename': { params: G.ConversationsRenameParams; result: Complete<G.ConversationsRenameResult> };
  'openrouter/conversations/delete': { params: G.ConversationsDeleteParams; result: Complete<G.ConversationsDeleteResult> };
  'openrouter/conversations/truncate': { params: G.ConversationsTruncateParams; result: Complete<G.ConversationsTruncateResult> };
  'openrouter/conversations/export': { params: G.ConversationsExportParams; result: Complete<G.ConversationsExportResult> };
}
export type Method = keyof Methods;
export const METHODS: readonly Method[] = [
  'openrouter/settings/get',
  'openrouter/settings/update',
  'openrouter/apiKey/set',
  'openrouter/apiKey/clear',
  'openrouter/account/get',
  'openrouter/models/list',
  'openrouter/models/endpoints',
  'openrouter/chat',
  'openrouter/signIn/start',
  'openrouter/signIn/complete',
  'openrouter/signIn/cancel',
  'openrouter/conversations/list',
  'openrouter/conversations/get',
  'openrouter/conversations/rename',
  'openrouter/conversations/delete',
  'openrouter/conversations/truncate',
  'openrouter/conversations/export',
];
export const SETTINGS_DID_CHANGE = 'openrouter/settings/didChange';
export const SIGN_IN_DID_FINISH = 'openrouter/signIn/didFinish';
/** Sent by a server with the account helper's balance refresh (CONTRACT.md); absent otherwise. */
export const ACCOUNT_DID_CHANGE = 'openrouter/account/didChange';
/** A stored conversation changed outside a request (a stopped reply's cost arrived): read it again. */
export const CONVERSATIONS_DID_CHANGE = 'openrouter/conversations/didChange';
export type ConversationsDidChange = G.ConversationsDidChangeParams;
/** Server notifications every webview receives, relayed by the host as they come. */
export const WEBVIEW_NOTIFICATIONS: readonly string[] = [SETTINGS_DID_CHANGE, SIGN_IN_DID_FINISH, ACCOUNT_DID_CHANGE, CONVERSATIONS_DID_CHANGE];

/** JSON-RPC error codes beyond the standard ones (see the README's method reference). */
export const INVALID_PARAMS = -32602;
export const UPSTREAM_ERROR = -32001;
export const REQUEST_CANCELLED = -32800;

/** `data` of a -32001 error. */
export type UpstreamErrorData = G.ErrorUpstreamData;
export type ErrorKind = UpstreamErrorData['kind'];
/** One entry of `data.errors` of a -32602 error. */
export type FieldError = G.ErrorInvalidParamsData['errors'][number];
