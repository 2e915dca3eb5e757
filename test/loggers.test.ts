// `logger` takes console and pino alike (DESIGN §15): console's lines carry no literal
// `undefined`, and pino's `(object, message)` signature gets the structured fields as its object,
// so they land in the JSON line instead of being dropped as a printf argument.
import { Console } from "node:console";
import { Writable } from "node:stream";
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Logger } from "../src/index.js";
import { client, NEEDLES, okPage, readAll, serve } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A real console writing into a string. */
function capturedConsole() {
  let text = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { console: new Console({ stdout: sink, stderr: sink, colorMode: false }), lines: () => text.trimEnd().split("\n") };
}

/** Records every call with its arguments, as the levels' methods of `logger` are called. */
function recorder(extra: object = {}) {
  const calls: Array<{ level: string; args: unknown[] }> = [];
  const logger = Object.assign(Object.create(extra) as object, {
    debug: (...args: unknown[]) => calls.push({ level: "debug", args }),
    info: (...args: unknown[]) => calls.push({ level: "info", args }),
    warn: (...args: unknown[]) => calls.push({ level: "warn", args }),
    error: (...args: unknown[]) => calls.push({ level: "error", args }),
  });
  return { logger, calls };
}

/** One request that fails with a 502 and is retried: a debug line with data, a retry line without. */
async function readWithOneRetry(logger: Logger) {
  serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({}, { status: 502 }) : HttpResponse.json(okPage("pylon"))));
  await readAll(client("pylon", { rateLimit: false, logger, logLevel: "debug" }));
}

describe("console", () => {
  test("a real console prints every line without a literal undefined, and the request's masked headers", async () => {
    const { console, lines } = capturedConsole();
    await readWithOneRetry(console);
    const output = lines();
    expect(output.some((l) => /^pylon: retrying GET \/audit-logs in \d+ ms \(attempt 1 of 4: HTTP 502\)$/.test(l))).toBe(true);
    expect(output.some((l) => /^pylon: HTTP 200 in \d+ ms/.test(l))).toBe(true);
    expect(output.join("\n")).not.toMatch(/undefined/);
    // the request line: message, then the data object console formats after it
    expect(output.join("\n")).toMatch(/pylon: GET https:\/\/api\.usepylon\.com\/audit-logs\S* \(attempt 1\) \{/);
    expect(output.join("\n")).toContain("authorization: '***'");
    for (const secret of NEEDLES) expect(output.join("\n")).not.toContain(secret);
  });

  test("console-like loggers get (message) alone, or (message, data)", async () => {
    const { logger, calls } = recorder();
    await readWithOneRetry(logger);
    const retry = calls.find((c) => c.level === "info")!;
    expect(retry.args).toHaveLength(1);
    expect(retry.args[0]).toMatch(/^pylon: retrying GET/);
    const request = calls.find((c) => c.level === "debug" && String(c.args[0]).includes("(attempt 1)"))!;
    expect(request.args).toHaveLength(2);
    expect(typeof request.args[0]).toBe("string");
    expect(request.args[1]).toMatchObject({ headers: { authorization: "***" } });
    for (const call of calls) expect(call.args).not.toContain(undefined);
  });
});

describe("pino", () => {
  // What pino puts on every logger it creates (documented: logger[Symbol.for('pino.serializers')]);
  // here on the prototype, as a pino child logger has it.
  const pinoLike = { [Symbol.for("pino.serializers")]: {} };

  test("pino gets (data, message): the structured fields are pino's merging object", async () => {
    const { logger, calls } = recorder(pinoLike);
    await readWithOneRetry(logger);
    const request = calls.find((c) => c.level === "debug" && String(c.args[1]).includes("(attempt 1)"))!;
    expect(request.args).toHaveLength(2);
    expect(request.args[0]).toMatchObject({ headers: { authorization: "***", "user-agent": expect.stringMatching(/^auditlogs\//) } });
    expect(request.args[1]).toMatch(/^pylon: GET https:\/\/api\.usepylon\.com\/audit-logs/);
    const retry = calls.find((c) => c.level === "info")!;
    expect(retry.args).toEqual([expect.stringMatching(/^pylon: retrying GET/)]);
    for (const secret of NEEDLES) expect(JSON.stringify(calls)).not.toContain(secret);
  });

  test("a method pino swaps after its level changes is the one called", async () => {
    const { logger, calls } = recorder(pinoLike);
    const c = client("pylon", { rateLimit: false, logger, logLevel: "debug" });
    // pino replaces level methods on the instance when `logger.level` changes
    const silenced: unknown[][] = [];
    (logger as Record<string, unknown>).debug = (...args: unknown[]) => silenced.push(args);
    serve(server, "pylon", () => HttpResponse.json(okPage("pylon")));
    await readAll(c);
    expect(calls.filter((x) => x.level === "debug")).toEqual([]);
    expect(silenced.length).toBeGreaterThan(0);
  });
});
