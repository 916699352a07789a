/* Generated from schemas/openrouter.conversations.get.result.schema.json (openrouter/conversations/get result) by scripts/gen-types.mjs — do not edit. */

export interface ConversationsGetResult {
  conversation: Conversation;
}
export interface Conversation {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  model: string | null;
  totals: ConversationTotals;
  messages: StoredMessage[];
}
/**
 * Sums over a conversation's stored messages (unknown counts and costs count as 0).
 */
export interface ConversationTotals {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}
/**
 * A message as the conversation keeps it: the ChatMessage sent or received, and what is
 * known about the answer that produced it (null for the messages the client sent).
 */
export interface StoredMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | (TextPart | ImageUrlPart | ImageFilePart)[] | null;
  toolCalls: ToolCall[] | null;
  toolCallId: string | null;
  reasoningDetails:
    | {
        [k: string]: unknown;
      }[]
    | null;
  attachments: Attachment[] | null;
  createdAt: string;
  model: string | null;
  provider: string | null;
  generationId: string | null;
  usage: ChatUsage | null;
  reasoning: string | null;
  finishReason: string | null;
}
export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImageUrlPart {
  type: 'image_url';
  imageUrl: ImageUrl;
}
/**
 * `data:image/png;base64,…` (PNG, JPEG, WebP or GIF) or an `https://` address.
 */
export interface ImageUrl {
  url: string;
  detail: ('auto' | 'low' | 'high') | null;
}
/**
 * An image file the server reads and sends as a data URL (at most `MAX_IMAGE_BYTES`).
 */
export interface ImageFilePart {
  type: 'image_file';
  path: string;
}
export interface ToolCall {
  type: 'function';
  function: ToolCallFunction;
  id: string;
}
export interface ToolCallFunction {
  arguments: string;
  name: string;
}
/**
 * Editor context the server resolves into the message text (a fenced block with the file
 * name and line numbers): a whole document, a range of it, or diagnostics. `document` and
 * `range` read the text the editor synced (didOpen/didChange); `diagnostics` carries the
 * editor's diagnostics itself (the server never receives them otherwise), optionally only
 * those within `range`, and shows them with the lines they point at.
 */
export interface Attachment {
  kind: 'document' | 'range' | 'diagnostics';
  uri: string;
  range: Range | null;
  diagnostics: AttachedDiagnostic[] | null;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface Position {
  line: number;
  character: number;
}
/**
 * An LSP Diagnostic as the editor has it (other members are accepted and ignored).
 */
export interface AttachedDiagnostic {
  range: Range;
  message: string;
  severity: number | null;
  source: string | null;
  code: string | number | null;
}
export interface ChatUsage {
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  costUsd: number | null;
}
