// OpenRouter's official TypeScript SDK (@openrouter/sdk) against the realistic emulator over
// HTTP. Every response is parsed by the SDK's zod schemas: a shape it rejects fails here.
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { OpenRouter } from "@openrouter/sdk";
import * as errors from "@openrouter/sdk/models/errors";
import { ERROR_STATUSES, GPT, KEY, OPENAI_REASONER, REASONER, WEATHER_PARAMETERS, startEmulator }
  from "./emulator.mjs";

const ROUTE = "/chat/completions";
let emulator;
let sdk;

before(async () => {
  emulator = await startEmulator();
  sdk = new OpenRouter({
    apiKey: KEY, serverURL: emulator.baseURL, retryConfig: { strategy: "none" },
    httpReferer: "https://example.test/sdk-suite", xOpenRouterTitle: "openrouter-lsp SDK suite",
  });
});
beforeEach(() => emulator.reset());
after(async () => console.log(`@openrouter/sdk: ${await emulator.stop()} SDK calls checked`));

const user = (text = "Hello from an SDK") => [{ role: "user", content: text }];

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("catalogue", () => {
  test("models list pages with total_count and links", async () => {
    const pages = await sdk.models.list({ supportedParameters: "tools", offset: 0, limit: 50 });
    const seen = [];
    let total;
    for await (const page of pages) {
      seen.push(...page.result.data.map((m) => m.id));
      total = page.result.totalCount;
      if (seen.length >= 100) break;
    }
    assert.equal(new Set(seen).size, 100);
    assert.ok(total > 100);
  });

  test("models carry reasoning metadata", async () => {
    const pages = await sdk.models.list({ supportedParameters: "reasoning", offset: 0, limit: 500 });
    const models = new Map();
    for await (const page of pages) for (const m of page.result.data) models.set(m.id, m);
    assert.ok([...models.values()].every((m) => m.reasoning));
    assert.equal(models.get(OPENAI_REASONER).reasoning.mandatory, true);
    assert.equal(models.get(REASONER).reasoning.defaultEffort, "medium");
  });

  for (const [author, slug, synthetic] of [["openai", "gpt-4o", false],
    ["anthropic", "claude-sonnet-4.5", true], ["deepseek", "deepseek-r1", true]]) {
    test(`endpoints of ${author}/${slug}`, async () => {
      const { data } = await sdk.endpoints.list({ author, slug });
      assert.equal(data.id, `${author}/${slug}`);
      assert.equal(data.description.includes("synthetic"), synthetic);
      for (const endpoint of data.endpoints) assert.equal(endpoint.supportsToolChoice.auto, true);
    });
  }

  test("endpoints of an unknown model is not found", async () => {
    await assert.rejects(sdk.endpoints.list({ author: "nobody", slug: "nothing" }),
      errors.NotFoundResponseError);
  });

  test("providers", async () => {
    const { data } = await sdk.providers.list();
    assert.ok(data.some((p) => p.name === "Anthropic"));
  });
});

describe("account", () => {
  test("key and credits follow usage", async () => {
    await emulator.configure({ keyLimit: 10 });
    let key = (await sdk.apiKeys.getCurrentKeyMetadata()).data;
    assert.equal(key.limitRemaining, 10);
    assert.deepEqual(key.freeModelDailyRequests, { limit: 1000, used: 0, remaining: 1000 });
    const result = await sdk.chat.send({ chatRequest: { model: GPT, messages: user(), maxTokens: 8 } });
    assert.equal(result.usage.cost, 0.0001025);  // decimal arithmetic, no float noise
    key = (await sdk.apiKeys.getCurrentKeyMetadata()).data;
    assert.equal(key.usage, 0.0001025);
    const credits = (await sdk.credits.getCredits()).data;
    assert.equal(credits.totalUsage, 0.0001025);
  });

  test("generation is not found for a moment, then found", async () => {
    await emulator.configure({ generationDelaySeconds: 3600 });
    const result = await sdk.chat.send({ chatRequest: { model: GPT, messages: user(), maxTokens: 6 } });
    await assert.rejects(sdk.generations.getGeneration({ id: result.id }),
      errors.NotFoundResponseError);
    await emulator.configure({ generationDelaySeconds: 0 });
    const { data } = await sdk.generations.getGeneration({ id: result.id });
    assert.equal(data.tokensCompletion, 6);
    assert.equal(data.totalCost, result.usage.cost);
  });
});

describe("chat", () => {
  test("non-streaming with provider preferences", async () => {
    const result = await sdk.chat.send({ chatRequest: {
      model: GPT, messages: user(), maxTokens: 12,
      provider: { order: ["azure"], allowFallbacks: false } } });
    assert.equal(result.choices[0].finishReason, "stop");
    assert.ok(result.choices[0].message.content.startsWith("[emulator]"));
  });

  for (const shape of ["empty_choices", "with_choice"]) {
    test(`streaming with plugins, usage chunk ${shape}`, async () => {
      await emulator.configure({ usageChunk: shape });
      const chunks = await collect(await sdk.chat.send({ chatRequest: {
        model: GPT, messages: user(), maxTokens: 10, stream: true,
        provider: { only: ["openai"], dataCollection: "deny" },
        plugins: [{ id: "context-compression", enabled: true }] } }));
      assert.deepEqual(chunks[0].choices[0].delta.role, "assistant");
      const text = chunks.filter((c) => c.choices.length)
        .map((c) => c.choices[0].delta.content ?? "").join("");
      assert.equal(text.length, 40);
      const last = chunks.at(-1);
      assert.equal(last.usage.completionTokens, 10);
      assert.equal(last.choices.length, shape === "with_choice" ? 1 : 0);
    });
  }

  for (const [model, kinds] of [[REASONER, ["reasoning.text"]],
    [OPENAI_REASONER, ["reasoning.encrypted", "reasoning.summary"]]]) {
    test(`reasoning details of ${model}`, async () => {
      const chunks = await collect(await sdk.chat.send({ chatRequest: {
        model, messages: user("Think first"), maxTokens: 40, stream: true,
        reasoning: { effort: "high" } } }));
      const deltas = chunks.filter((c) => c.choices.length).map((c) => c.choices[0].delta);
      assert.ok(deltas.map((d) => d.reasoning ?? "").join("").startsWith("[emulator] Synthetic"));
      const types = new Set(deltas.flatMap((d) => d.reasoningDetails ?? []).map((d) => d.type));
      assert.deepEqual([...types].sort(), kinds);
    });
  }

  test("tools stream a tool call", async () => {
    const chunks = await collect(await sdk.chat.send({ chatRequest: {
      model: GPT, messages: user("Weather in Oslo?"), stream: true, toolChoice: "auto",
      tools: [{ type: "function", function: { name: "get_weather", parameters: WEATHER_PARAMETERS } }],
    } }));
    const calls = chunks.filter((c) => c.choices.length).flatMap((c) => c.choices[0].delta.toolCalls ?? []);
    assert.equal(calls[0].function.name, "get_weather");
    const args = calls.map((c) => c.function?.arguments ?? "").join("");
    assert.deepEqual(JSON.parse(args), { city: "emulator", unit: "c" });
    assert.ok(chunks.some((c) => c.choices[0]?.finishReason === "tool_calls"));
  });
});

describe("errors", () => {
  for (const status of ERROR_STATUSES) {
    test(`HTTP ${status}`, async () => {
      await emulator.addFault({ route: ROUTE, status });
      await assert.rejects(
        sdk.chat.send({ chatRequest: { model: GPT, messages: user(), maxTokens: 4 } }),
        (error) => {
          assert.equal(error.statusCode, status);
          assert.equal(error.error.code, status);
          return true;
        });
    });
  }

  test("429 carries Retry-After and X-RateLimit-*", async () => {
    await emulator.addFault({ route: ROUTE, status: 429 });
    await assert.rejects(sdk.chat.send({ chatRequest: { model: GPT, messages: user() } }),
      (error) => {
        assert.ok(error instanceof errors.TooManyRequestsResponseError);
        assert.equal(error.headers.get("retry-after"), "1");
        assert.equal(error.headers.get("x-ratelimit-remaining"), "0");
        return true;
      });
  });

  test("in-band error chunk with a numeric code", async () => {
    await emulator.addFault({ route: ROUTE, mode: "error_chunk_mid_stream", status: 502 });
    const chunks = await collect(await sdk.chat.send({ chatRequest: {
      model: GPT, messages: user(), maxTokens: 20, stream: true } }));
    assert.equal(chunks.at(-1).error.code, 502);
    assert.equal(chunks.at(-1).choices[0].finishReason, "error");
  });

  // OpenRouter's streaming docs show `"code": "server_error"` mid-stream; this SDK's zod schema
  // wants a number, so the chunk fails to parse. Pinned so that a fixed release shows up here
  // (and docs/openrouter-behaviour.md can drop the caveat).
  test("the documented string code is beyond this SDK", async () => {
    await emulator.addFault({ route: ROUTE, mode: "error_chunk_mid_stream" });
    const stream = await sdk.chat.send({ chatRequest: {
      model: GPT, messages: user(), maxTokens: 20, stream: true } });
    await assert.rejects(collect(stream), (error) => {
      assert.equal(error.name, "ZodError");
      assert.deepEqual(error.issues[0].path, ["data", "error", "code"]);
      return true;
    });
  });
});
