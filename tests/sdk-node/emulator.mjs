// Starts the project's OpenRouter emulator (the real HTTP server) for one test file and talks to
// its control routes. The command comes from OPENROUTER_LSP_EMULATOR (a command line), else the
// repository's .venv; it prints "OpenRouter emulator listening on <base URL>" when ready.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const KEY = "sk-or-v1-fake-sdk-suite-key-0000000000000001";
export const GPT = "openai/gpt-4o";
export const REASONER = "anthropic/claude-sonnet-4.5";
export const OPENAI_REASONER = "openai/gpt-5.4";
export const ERROR_STATUSES = [400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 524, 529];
export const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
  required: ["city", "unit"],
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function command() {
  const configured = process.env.OPENROUTER_LSP_EMULATOR;
  if (configured) return configured.split(" ").filter(Boolean);
  return [path.join(ROOT, ".venv", "bin", "openrouter-lsp"), "emulator"];
}

export async function startEmulator() {
  const [program, ...args] = command();
  const child = spawn(program, [...args, "--port", "0", "--tokens-per-second", "0",
    "--api-key", KEY], { stdio: ["ignore", "pipe", "inherit"] });
  // However the test file ends, the emulator does not outlive it.
  process.once("exit", () => child.kill());
  const lines = createInterface({ input: child.stdout });
  const baseURL = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`emulator exited (${code}) before it listened`)));
    lines.on("line", (line) => {
      const match = line.match(/listening on (\S+)/);
      if (match) resolve(match[1]);
    });
  });
  const origin = new URL(baseURL).origin;
  let calls = 0;

  async function control(method, route, body) {
    const response = await fetch(`${origin}/_emulator/${route}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }

  async function countCalls() {
    const { requests } = await control("GET", "requests");
    calls += requests.filter((r) => r.path.startsWith("/api/v1/")).length;
  }

  return {
    baseURL,
    /** Back to the start-up state; the calls made so far are counted first. */
    async reset() {
      await countCalls();
      await control("POST", "reset");
    },
    configure: (fields) => control("POST", "config", fields),
    addFault: (fault) => control("POST", "faults", fault),
    requests: async () => (await control("GET", "requests")).requests,
    /** Stops the emulator; resolves to the number of SDK calls (API requests) it served. */
    async stop() {
      await countCalls();
      child.kill();
      return calls;
    },
  };
}
