/* Generated from schemas/openrouter.chat.params.schema.json (openrouter/chat params) by scripts/gen-types.mjs — do not edit. */

export interface ChatParams {
  /**
   * @minItems 1
   * @maxItems 10000
   */
  messages: [ChatMessage, ...ChatMessage[]];
  modelId?: string | null;
  maxTokens?: number | null;
  temperature?: number | null;
  conversationId?: string | null;
  partialResultToken?: string | number | null;
  tools?: Tool[] | null;
  toolChoice?: ('auto' | 'none' | 'required') | NamedToolChoice | null;
  parallelToolCalls?: boolean | null;
}
/**
 * One message. `content` is null only for an assistant message with `toolCalls`.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | (TextPart | ImageUrlPart | ImageFilePart)[] | null;
  toolCalls?: ToolCall[] | null;
  toolCallId?: string | null;
  reasoningDetails?:
    | {
        [k: string]: unknown;
      }[]
    | null;
  attachments?: Attachment[] | null;
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
  detail?: ('auto' | 'low' | 'high') | null;
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
  range?: Range | null;
  diagnostics?: AttachedDiagnostic[] | null;
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
  severity?: number | null;
  source?: string | null;
  code?: string | number | null;
}
/**
 * A tool the model may call (OpenAI's function format).
 */
export interface Tool {
  type: 'function';
  function: ToolFunction;
}
export interface ToolFunction {
  name: string;
  description?: string | null;
  parameters?: {
    [k: string]: unknown;
  } | null;
  strict?: boolean | null;
}
export interface NamedToolChoice {
  type: 'function';
  function: ToolChoiceFunction;
}
export interface ToolChoiceFunction {
  name: string;
}
