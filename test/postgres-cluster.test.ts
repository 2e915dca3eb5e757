// The test cluster itself (test/postgres.ts): a real server that answers, and that is gone,
// directory and process, once stopped.
import { existsSync } from "node:fs";
import pg from "pg";
import { describe, expect, test } from "vitest";
import { startPostgres } from "./postgres-cluster.js";

describe("throwaway PostgreSQL cluster", () => {
  test("starts on 127.0.0.1, creates a database, and leaves nothing behind when stopped", async () => {
    const cluster = await startPostgres();
    let dataDir = "";
    try {
      const url = await cluster.createDatabase("probe");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query("SELECT current_database() AS db, current_setting('data_directory') AS dir, host(inet_server_addr()) AS addr, current_setting('server_version_num')::int AS version");
      await client.end();
      expect(rows[0].db).toBe("probe");
      expect(rows[0].addr).toBe("127.0.0.1");
      expect(rows[0].version).toBeGreaterThanOrEqual(150000);
      dataDir = rows[0].dir;
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(dataDir)).toBe(false);
    const after = new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 2_000 });
    await expect(after.connect()).rejects.toThrow();
    await after.end().catch(() => undefined);
  }, 60_000);
});
