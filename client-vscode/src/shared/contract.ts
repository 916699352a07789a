/**
 * The chat view's names for this round's wire types (conversations, content parts, attachments,
 * tool calls), all derived from src/generated through src/wire.ts, and what the view asks of the
 * editor.
 */
import type { ChatMessage, ChatProgress, ChatResult, Methods } from '../wire';

export type OutgoingMessage = ChatMessage;
export type Attachment = NonNullable<ChatMessage['attachments']>[number];
export type ContentPart = Extract<ChatMessage['content'], unknown[]>[number];
export type ToolCall = NonNullable<ChatMessage['toolCalls']>[number];
/** A `$/progress` value of a chat: text, reasoning, or tool-call increments by index. */
export type ChatIncrement = ChatProgress;
export type ChatOutcome = ChatResult;
export type Usage = ChatResult['usage'];
export type ConversationSummary = Methods['openrouter/conversations/rename']['result'];
export type Conversation = Methods['openrouter/conversations/get']['result']['conversation'];
export type StoredMessage = Conversation['messages'][number];

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
