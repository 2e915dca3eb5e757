/**
 * The collector's one view of its database, real PostgreSQL (pg) or the embedded PGlite, and the
 * loading of its optional peer dependencies. Nothing here is imported by the root `auditlogs`:
 * pg, pg-boss and PGlite load on the first `start()`, `run()` or `status()`.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { AuditLogsError, ConnectionError } from "../core/errors.js";

/** Rows of one statement. */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Runs statements, on a pool or inside one transaction. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<SqlResult<Row>>;
}

export interface Database extends Sql {
  /** Runs `body` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T>;
  /** What pg-boss is given: its own connection string (real PostgreSQL), or an adapter over PGlite. */
  readonly boss: { connectionString: string } | { db: unknown; backend: "pglite" };
  /** `host:port` or the embedded directory, for messages (never a password). */
  readonly where: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

type PgModule = typeof import("pg");
type PgBossModule = typeof import("pg-boss");

/** Loads an optional peer dependency, or says what to install. */
async function loadPeer<T>(name: string, why: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new AuditLogsError(`auditlogs/collector needs the package "${name}" ${why}: npm install ${name}`, { cause: error });
    }
    throw error;
  }
}

export function loadPgBoss(): Promise<PgBossModule> {
  return loadPeer("pg-boss", "(its job engine)", () => import("pg-boss"));
}

function loadPg(): Promise<PgModule> {
  return loadPeer("pg", "to reach PostgreSQL", () => import("pg"));
}

/** Opens the collector's database: PostgreSQL at `connectionString`, else PGlite in `dataDir`. */
export async function openDatabase(options: { connectionString: string | undefined; dataDir: string; poolSize: number }): Promise<Database> {
  return options.connectionString !== undefined ? openPostgres(options.connectionString, options.poolSize) : openPglite(options.dataDir);
}

/** `host:port` of a connection string, for messages. */
export function hostAndPort(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = decodeURIComponent(url.hostname) || new URLSearchParams(url.search).get("host") || "localhost";
    return `${host}:${url.port || "5432"}`;
  } catch {
    return "the configured host";
  }
}

async function openPostgres(connectionString: string, poolSize: number): Promise<Database> {
  const pg = await loadPg();
  const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: PgModule["Pool"] }).Pool;
  const where = hostAndPort(connectionString);
  const pool = new Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 10_000, application_name: "auditlogs-collector" });
  // An idle client's error (the server restarted) must not take the process down; the next query reconnects.
  pool.on("error", () => undefined);
  const fail = (error: unknown): never => {
    throw databaseError(error, where);
  };
  // A statement with parameters is prepared by name (its text's hash), once per connection: the
  // collector's statements are a few fixed texts run on every page, and a named one is parsed and
  // analysed once instead of on every call (pg sends only Bind and Execute after the first).
  const names = new Map<string, string>();
  const named = (text: string, values: unknown[] | undefined) => {
    if (values === undefined || values.length === 0) return { text };
    let name = names.get(text);
    if (name === undefined) names.set(text, (name = `auditlogs_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`));
    return { name, text, values };
  };
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    fail(error);
  }
  return {
    where,
    embedded: false,
    boss: { connectionString },
    async query<Row>(text: string, values?: unknown[]) {
      const result = await pool.query(named(text, values)).catch(fail);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async transaction(body) {
      const client = await pool.connect().catch(fail);
      const tx: Sql = {
        async query<Row>(text: string, values?: unknown[]) {
          const result = await client.query(text, values);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
        },
      };
      let broken = false;
      try {
        await client.query("BEGIN");
        const value = await body(tx);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => (broken = true));
        throw error;
      } finally {
        // A connection whose rollback failed is dropped rather than reused in an unknown state.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * The message for a database that cannot be reached or refused us: host and port, the reason,
 * never the connection string (it may hold the password).
 */
export function databaseError(error: unknown, where: string): Error {
  if (AuditLogsError.isInstance(error)) return error;
  const e = error as { code?: string; message?: string };
  const reason = e.code && /^[A-Z_]+$/.test(e.code) ? e.code : e.message ?? String(error);
  const connectionLevel = typeof e.code === "string" && (/^E[A-Z]+$/.test(e.code) || e.code.startsWith("08") || e.code === "28P01" || e.code === "28000" || e.code === "3D000");
  if (!connectionLevel && !/timeout|terminated|connect/i.test(e.message ?? "")) return error as Error;
  const detail = e.code === "28P01" ? "password authentication failed" : e.code === "3D000" ? "the database does not exist" : reason;
  return new ConnectionError(`auditlogs/collector: cannot use the database at ${where}: ${scrub(detail)}`);
}

/** pg's messages can quote the user name; they never hold the password, but strip URLs anyway. */
function scrub(text: string): string {
  return text.replace(/postgres(ql)?:\/\/\S+/gi, "postgres://…");
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await loadPeer("@electric-sql/pglite", "for the embedded database (or pass connectionString)", () => import("@electric-sql/pglite"));
  const { fromPglite } = await loadPgBoss();
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  let db: InstanceType<typeof PGlite>;
  try {
    db = await PGlite.create(dir);
  } catch (error) {
    throw new AuditLogsError(`auditlogs/collector: cannot open the embedded database in ${dir} (is another process using it? PGlite allows one): ${(error as Error).message}`, { cause: error });
  }
  const sql = (runner: Pick<typeof db, "query">): Sql => ({
    async query<Row>(text: string, values?: unknown[]) {
      const result = await runner.query<Row>(text, values);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  });
  const direct = sql(db);
  return {
    where: dir,
    embedded: true,
    boss: { db: fromPglite(db), backend: "pglite" },
    query: direct.query,
    // PGlite is one connection: its transaction() holds it for the whole body, so pg-boss's
    // statements and other runs wait instead of landing inside this transaction.
    transaction: (body) => db.transaction((tx) => body(sql(tx))),
    close: () => db.close(),
  };
}
