/**
 * Wire types of this round's chat additions (conversations, content parts, attachments, tool
 * calls), written from the shared contract while the server's schemas for them are being made.
 * When src/generated has them, these become aliases of the generated types.
 */
import type { ChatResult } from '../wire';

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export type Attachment =
  | { kind: 'document'; uri: string }
  | { kind: 'range'; uri: string; range: Range }
  | { kind: 'diagnostics'; uri: string; range?: Range };

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; imageUrl: { url: string } }
  | { type: 'image_file'; path: string };

export interface ToolCall { id: string; type: 'function'; function: { name: string; arguments: string } }

export interface OutgoingMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | ContentPart[] | null;
  attachments?: Attachment[];
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

/** A `$/progress` value of a chat: text, reasoning, or tool-call increments by index. */
export interface ChatIncrement {
  content?: string | null;
  reasoning?: string | null;
  toolCalls?: Array<{ index: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
}

/** What `openrouter/chat` answers, with this round's additions read as optional. */
export type ChatOutcome = ChatResult & {
  toolCalls?: ToolCall[];
  reasoningDetails?: unknown[];
  conversationId?: string | null;
  costSource?: 'stream' | 'generation' | 'catalogue' | null;
};

export type Usage = ChatResult['usage'];

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  model: string | null;
  totals: { promptTokens: number; completionTokens: number; costUsd: number | null };
}

export interface StoredMessage extends OutgoingMessage {
  createdAt: string;
  model: string | null;
  provider: string | null;
  generationId: string | null;
  usage: Usage | null;
  reasoning: string | null;
  /** "cancelled" for a reply that was stopped (the server keeps what streamed). */
  finishReason?: string | null;
}

export interface Conversation extends ConversationSummary { messages: StoredMessage[] }

/** The `openrouter/conversations/*` methods. */
export interface ConversationMethods {
  'openrouter/conversations/list': { params: Record<string, never>; result: { conversations: ConversationSummary[] } };
  'openrouter/conversations/get': { params: { conversationId: string }; result: { conversation: Conversation } };
  'openrouter/conversations/rename': { params: { conversationId: string; title: string }; result: ConversationSummary };
  'openrouter/conversations/delete': { params: { conversationId: string }; result: { deleted: boolean } };
  'openrouter/conversations/truncate': { params: { conversationId: string; keepMessages: number }; result: ConversationSummary };
  'openrouter/conversations/export': { params: { conversationId: string }; result: { markdown: string } };
}

/** What the chat view asks of the editor (the extension host), by name. */
export interface EditorActionMap {
  /** The active editor's selection (or its whole document when nothing is selected). */
  attachSelection: { arg: undefined; result: AttachmentChip | null };
  /** The active editor's whole document. */
  attachFile: { arg: undefined; result: AttachmentChip | null };
  insertAtCursor: { arg: string; result: boolean };
  copy: { arg: string; result: boolean };
  /** Opens a new untitled Markdown document with this text (a conversation's export). */
  openMarkdown: { arg: string; result: boolean };
}
export type EditorAction = keyof EditorActionMap;

/** An attachment and the words that name it in the composer. */
export interface AttachmentChip { attachment: Attachment; label: string }
