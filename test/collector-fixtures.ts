// Fleet processes and an observing proxy for the collector's multi-process tests.
//
// A worker process runs test/collector-worker.ts bundled by esbuild (the tests must not depend on a
// stale dist/). Unlike test/child-fixtures.ts, the bundle keeps its dependencies external and lives
// inside the repository, so pg, pg-boss and PGlite load from node_modules as in a user's install
// (pg-boss and PGlite do not bundle: optional native modules, WebAssembly files).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Bundles the worker once per test file; `remove()` deletes the bundle. */
export function buildWorker(): { file: string; remove(): void } {
  const dir = mkdtempSync(join(ROOT, ".tmp-collector-"));
  const file = join(dir, "worker.mjs");
  buildSync({
    entryPoints: [join(ROOT, "test/collector-worker.ts")],
    outfile: file,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a worker process is told (see test/collector-worker.ts). */
export interface WorkerConfig {
  connectionString: string;
  schema: string;
  staleAfterMs: number;
  workers: number;
  /** Sources; `options` gets a per-run `userAgent` "collector-test <sourceId> <run uuid>" in the worker. */
  sources: { id: string; vendor: string; options: Record<string, unknown>; params?: Record<string, unknown>; every?: string; rateLimitKey?: string }[];
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every line the worker printed so far. */
  readonly lines: string[];
  /** Resolves once a printed line matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM (a graceful stop) and wait for the exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function startWorker(file: string, config: WorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? "", COLLECTOR_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs = 30_000) {
      const found = lines.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker printed no line matching ${pattern} in ${timeoutMs} ms:\n${lines.join("\n")}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(() => reject(new Error(`worker exited before printing ${pattern}:\n${lines.join("\n")}`)));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** One request the proxy passed on: which source and run sent it, and when it started and ended. */
export interface Observed {
  sourceId: string;
  runId: string;
  url: string;
  status: number;
  startedAt: number;
  endedAt: number;
}

/** A proxy in front of `target` that records every request's run (from the worker's User-Agent). */
export async function startProxy(target: string, answer?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<{ url: string; observed: Observed[]; close(): Promise<void> }> {
  const observed: Observed[] = [];
  const server: Server = createServer((req, res) => {
    const [, sourceId = "", runId = ""] = /collector-test (\S+) (\S+)/.exec(String(req.headers["user-agent"])) ?? [];
    const record: Observed = { sourceId, runId, url: req.url ?? "", status: 0, startedAt: performance.now(), endedAt: 0 };
    observed.push(record);
    res.on("close", () => {
      record.status = res.statusCode;
      record.endedAt = performance.now();
    });
    if (answer?.(req, res)) return;
    forward(req, res, target);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    observed,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Passes a request on to `target`, with `headers` replacing the request's own. */
export function forward(req: IncomingMessage, res: ServerResponse, target: string, headers: Record<string, string> = {}): void {
  const url = new URL(req.url ?? "/", target);
  const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host, ...headers } }, (reply) => {
    res.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(res);
  });
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}
