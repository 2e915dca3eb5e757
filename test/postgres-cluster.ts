// A throwaway PostgreSQL cluster for the collector's tests and benchmark: a real server (Debian's
// postgresql package), never a mock. initdb into a temporary directory with trust auth, a random port on
// 127.0.0.1, a database per test file, and everything removed afterwards.
//
// The server runs under a small shell that stops it when its stdin closes, so it goes down with
// the test process even when that process is killed or a test times out: nothing is left running.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A running cluster. */
export interface PostgresCluster {
  readonly port: number;
  /** A connection string for `database` (default `postgres`). */
  url(database?: string): string;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where initdb and postgres are: $PG_BIN, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, "initdb"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((m) => existsSync(join(root, m, "bin/initdb"))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors[0] === undefined) {
    throw new Error("PostgreSQL server binaries not found: install them (apt-get install -y postgresql) or set PG_BIN");
  }
  return join(root, majors[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user.
const asRoot = process.getuid?.() === 0;
function command(file: string, args: string[]): [string, string[]] {
  return asRoot ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
}

/** Starts a fresh cluster; `settings` are more `name=value` server settings. */
export async function startPostgres(options: { settings?: string[] } = {}): Promise<PostgresCluster> {
  const bin = postgresBin();
  removeStaleClusters();
  const dir = mkdtempSync(join(tmpdir(), "auditlogs-pg-"));
  const data = join(dir, "data");
  if (asRoot) chownSync(dir, Number(idOf("-u")), Number(idOf("-g")));
  const [initdb, initArgs] = command(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
  const init = spawnSync(initdb, initArgs, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }

  let port = 0;
  let child: ChildProcess | undefined;
  let log = "";
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    // The shell starts the server, then waits on stdin; when stdin closes (we ended it, or this
    // process died) it asks for a fast shutdown and waits for the server to finish.
    const script = '"$0" "$@" & pid=$!; cat >/dev/null; kill -INT $pid 2>/dev/null; wait $pid';
    const [sh, shArgs] = command("/bin/sh", [
      "-c", script, join(bin, "postgres"),
      "-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir,
      // A test cluster: durability against power loss is not what these tests measure.
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
      "-c", "max_connections=300", "-c", "shared_buffers=32MB",
      ...(options.settings ?? []).flatMap((setting) => ["-c", setting]),
    ]);
    const started = spawn(sh, shArgs, { stdio: ["pipe", "pipe", "pipe"] });
    started.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    started.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    if (await ready(port, started)) child = started;
    else {
      started.stdin!.end();
      await exited(started);
    }
  }
  if (child === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start: ${log.slice(-2000)}`);
  }
  const server = child;
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      stopped ??= (async () => {
        server.stdin!.end();
        await exited(server);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

// A test process killed outright stops its server (the shell above) but cannot remove its
// directory: a later start removes directories with no server that are over ten minutes old.
function removeStaleClusters(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith("auditlogs-pg-")) continue;
    const dir = join(tmpdir(), name);
    try {
      if (existsSync(join(dir, "data/postmaster.pid"))) continue;
      if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

function idOf(flag: "-u" | "-g"): string {
  return spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim();
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function ready(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

