// @openrouter/ai-sdk-provider with the `ai` SDK (the pair Kilo Code's extension uses) against the
// realistic emulator: text, streaming, provider preferences, plugins, reasoning, tools, errors.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import { APICallError, generateText, jsonSchema, streamText, tool } from "ai";
import { ERROR_STATUSES, GPT, KEY, OPENAI_REASONER, REASONER, WEATHER_PARAMETERS, startEmulator }
  from "./emulator.mjs";

const ROUTE = "/chat/completions";
let emulator;
let openrouter;

before(async () => {
  emulator = await startEmulator();
  openrouter = createOpenRouter({ apiKey: KEY, baseURL: emulator.baseURL, compatibility: "strict",
    appName: "openrouter-lsp SDK suite", appUrl: "https://example.test/sdk-suite" });
});
beforeEach(() => emulator.reset());
after(async () => console.log(`@openrouter/ai-sdk-provider: ${await emulator.stop()} SDK calls checked`));

const weather = tool({
  description: "Current weather of a city",
  inputSchema: jsonSchema(WEATHER_PARAMETERS),
});

async function lastChatBody() {
  const chats = (await emulator.requests()).filter((r) => r.path.endsWith(ROUTE));
  return chats.at(-1).body;
}

describe("text", () => {
  test("generateText with provider preferences and plugins", async () => {
    const result = await generateText({
      model: openrouter.chat(GPT, { provider: { order: ["azure"], allow_fallbacks: false },
        plugins: [{ id: "context-compression", enabled: true }] }),
      prompt: "Hello from an SDK", maxOutputTokens: 12, maxRetries: 0,
    });
    assert.ok(result.text.startsWith("[emulator]"));
    assert.equal(result.finishReason, "stop");
    assert.equal(result.usage.outputTokens, 12);
    const body = await lastChatBody();
    assert.deepEqual(body.provider, { order: ["azure"], allow_fallbacks: false });
    assert.equal(result.providerMetadata.openrouter.provider, "Azure");
  });

  for (const shape of ["empty_choices", "with_choice"]) {
    test(`streamText, usage chunk ${shape}`, async () => {
      await emulator.configure({ usageChunk: shape });
      const result = streamText({ model: openrouter(GPT), prompt: "Hello from an SDK",
        maxOutputTokens: 10, maxRetries: 0 });
      let text = "";
      for await (const part of result.textStream) text += part;
      assert.equal(text.length, 40);
      assert.equal(await result.finishReason, "stop");
      assert.equal((await result.usage).outputTokens, 10);
      const cost = (await result.providerMetadata).openrouter.usage.cost;
      assert.ok(cost > 0);
    });
  }
});

describe("reasoning", () => {
  for (const model of [REASONER, OPENAI_REASONER]) {
    test(`streamed reasoning of ${model}`, async () => {
      const result = streamText({
        model: openrouter(model, { reasoning: { effort: "high" } }),
        prompt: "Think first", maxOutputTokens: 40, maxRetries: 0,
      });
      const kinds = new Set();
      for await (const part of result.fullStream) {
        kinds.add(part.type);
        if (part.type === "error") throw part.error;
      }
      assert.ok(kinds.has("reasoning-delta") && kinds.has("text-delta"));
      assert.ok((await result.reasoningText).startsWith("[emulator] Synthetic reasoning"));
    });
  }
});

describe("tools", () => {
  test("a streamed tool call, then the answer to its result", async () => {
    const result = streamText({ model: openrouter(GPT), prompt: "Weather in Oslo?",
      tools: { get_weather: weather }, maxRetries: 0 });
    const calls = await result.toolCalls;
    assert.equal(await result.finishReason, "tool-calls");
    assert.equal(calls.length, 1);
    assert.equal(calls[0].toolName, "get_weather");
    assert.deepEqual(calls[0].input, { city: "emulator", unit: "c" });
    const answer = await generateText({
      model: openrouter(GPT), tools: { get_weather: weather }, maxRetries: 0, maxOutputTokens: 8,
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: [{ type: "tool-call", toolCallId: calls[0].toolCallId,
          toolName: "get_weather", input: calls[0].input }] },
        { role: "tool", content: [{ type: "tool-result", toolCallId: calls[0].toolCallId,
          toolName: "get_weather", output: { type: "json", value: { temp: 3 } } }] },
      ],
    });
    assert.ok(answer.text.startsWith("[emulator]"));
  });
});

describe("errors", () => {
  for (const status of ERROR_STATUSES) {
    test(`HTTP ${status}`, async () => {
      await emulator.addFault({ route: ROUTE, status });
      await assert.rejects(
        generateText({ model: openrouter(GPT), prompt: "Hello", maxRetries: 0 }),
        (error) => {
          assert.ok(APICallError.isInstance(error), String(error));
          assert.equal(error.statusCode, status);
          return true;
        });
    });
  }

  test("429 is retryable and carries Retry-After", async () => {
    await emulator.addFault({ route: ROUTE, status: 429 });
    await assert.rejects(generateText({ model: openrouter(GPT), prompt: "Hi", maxRetries: 0 }),
      (error) => {
        assert.equal(error.isRetryable, true);
        assert.equal(error.responseHeaders["retry-after"], "1");
        assert.equal(error.responseHeaders["x-ratelimit-limit"], "20");
        return true;
      });
  });

  for (const [status, code] of [[undefined, "server_error"], [502, 502]]) {
    test(`mid-stream error with code ${code}`, async () => {
      await emulator.addFault({ route: ROUTE, mode: "error_chunk_mid_stream", status });
      // onError: the error is asserted below, not logged.
      const result = streamText({ model: openrouter(GPT), prompt: "Hello", maxRetries: 0,
        onError: () => {} });
      const errors = [];
      let text = "";
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") text += part.text;
        if (part.type === "error") errors.push(part.error);
      }
      assert.equal(text, "[emulator] T");
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, code);
      assert.equal(await result.finishReason, "error");
    });
  }
});
