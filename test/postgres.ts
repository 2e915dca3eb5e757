// One throwaway PostgreSQL cluster per test file (test/postgres-cluster.ts), stopped when the file ends.
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresCluster } from "./postgres-cluster.js";

export { startPostgres, type PostgresCluster };

/**
 * One cluster and one database for the calling test file, started in `beforeAll` and stopped in
 * `afterAll` (which runs whether the tests passed or not). Read `connectionString` in tests.
 */
export function usePostgres(database = "auditlogs_test"): {
  readonly connectionString: string;
  readonly cluster: PostgresCluster;
  /** One query on a connection of its own: the rows. */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
} {
  let cluster: PostgresCluster | undefined;
  let connectionString: string | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
    connectionString = await cluster.createDatabase(database);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return {
    get connectionString() {
      if (connectionString === undefined) throw new Error("usePostgres: the cluster is not started yet (read it inside a test)");
      return connectionString;
    },
    get cluster() {
      if (cluster === undefined) throw new Error("usePostgres: the cluster is not started yet (read it inside a test)");
      return cluster;
    },
    async sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]> {
      const client = new pg.Client({ connectionString: this.connectionString });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
  };
}
