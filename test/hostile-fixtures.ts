/**
 * A hostile server on 127.0.0.1 for the DESIGN §14 suites: each test says what it answers, down
 * to the bytes and their pace. Real sockets, not msw, because the attacks are in the transport
 * (compressed bombs, endless and trickled bodies, echoed headers). Every server is closed by
 * `closeAll()` (sockets included), so nothing outlives its test file.
 */
import nodeHttp from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type AnyClient, type ClientOptions } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { fakeClock, OPTIONS, page, record } from "./http-fixtures.js";

export { page, record };

export interface Hostile {
  origin: string;
  /** Requests received so far, in order. */
  requests: Array<{ method: string; url: URL; headers: nodeHttp.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

type Handler = (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse, n: number, body: string) => void | Promise<void>;

const open = new Set<nodeHttp.Server>();

/** Starts a server on 127.0.0.1 whose every answer comes from `handler` (n is the 1-based request number). */
export async function hostile(handler: Handler): Promise<Hostile> {
  const requests: Hostile["requests"] = [];
  const server = nodeHttp.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "GET", url: new URL(req.url ?? "/", "http://127.0.0.1"), headers: req.headers, body });
      res.on("error", () => undefined);
      // A handler that throws answers nothing: the socket is closed, never left hanging.
      Promise.resolve()
        .then(() => handler(req, res, requests.length, body))
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.add(server);
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => closeServer(server),
  };
}

function closeServer(server: nodeHttp.Server): Promise<void> {
  open.delete(server);
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Closes every server still open (an afterAll/afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map(closeServer));
}

/** The JSON text of `{"a":{"a":…"bottom"…}}`, `depth` levels deep (JSON.stringify cannot write it). */
export function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}"bottom"${"}".repeat(depth)}`;
}

/** Where a value given as `DEEP` goes, `json()` writes `deepJson(5_000)`. */
export const DEEP = "\u0000deep";

/** Answers `value` as JSON with `headers`. */
export function json(res: nodeHttp.ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value).split(JSON.stringify(DEEP)).join(deepJson(5_000));
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** A client of `vendor` pointed at the hostile server, with a fake clock (no real waits between retries). */
export function clientOf(vendor: VendorId, server: Hostile, overrides: Record<string, unknown> = {}): AnyClient {
  // One chain at a time: these servers ignore time filters, so parallel time slices (Zendesk,
  // JITSudo) would each be served the same records.
  return createClient({ vendor, ...OPTIONS[vendor], baseUrl: server.origin, clock: fakeClock(), rateLimit: false, maxRetries: 0, concurrency: 1, ...overrides } as unknown as ClientOptions);
}

/** Every event of a run (or the error it ends with). */
export async function drain(iterable: AsyncIterable<unknown>): Promise<{ items: unknown[]; error: unknown }> {
  const items: unknown[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

/** A JSON value nested `depth` levels deep: `{"a":{"a":…}}`. */
export function deep(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The RANGE of http-fixtures, for events(). */
export const RUN = { since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" } as const;
