// A fleet collector: three vendor accounts on a schedule, their state and events in PostgreSQL.
// Start this same file on as many machines as you like against one DATABASE_URL: together they are
// one collector (one run per source at a time, a dead process's run resumed by another).
//
//   DATABASE_URL=postgres://user:password@db:5432/audit node examples/fleet.mjs
//   node examples/fleet.mjs          # no DATABASE_URL: an embedded database in .auditlogs (one process)
//
// It serves the three accounts from the built-in simulator so that it runs anywhere; point the
// sources' options at the real vendors (and their secrets) instead. Ctrl-C stops it.
import { createCollector } from "auditlogs/collector";
import { createSimulator } from "auditlogs/testing";

const server = await createSimulator({ vendors: ["zendesk", "cortex", "jitsudo"], eventsPerVendor: 500 }).listen();

// Secrets come from wherever you keep them; a function is called at every run, so a rotated
// secret is picked up without a restart, and nothing secret is stored in the database.
const secrets = { zendesk: async () => server.credentials.zendesk.auth.apiToken };

const collector = createCollector({
  connectionString: process.env.DATABASE_URL, // omitted: PGlite in dataDir (its first open takes 10-30 s)
  dataDir: ".auditlogs",
  schema: "auditlogs",
  staleAfterMs: 30_000,
  sources: [
    {
      id: "acme-zendesk",
      vendor: "zendesk",
      every: "5m",
      options: async () => ({ ...server.credentials.zendesk, auth: { email: server.credentials.zendesk.auth.email, apiToken: await secrets.zendesk() } }),
      params: { lagMs: 300_000 },
      rateLimitKey: "zendesk:acme", // every process reading this account shares one limit
    },
    { id: "acme-cortex", vendor: "cortex", every: "*/10 * * * *", options: server.credentials.cortex },
    { id: "acme-jitsudo", vendor: "jitsudo", every: "1h", options: server.credentials.jitsudo, params: { pageSize: 100 } },
  ],
});

process.stderr.write(process.env.DATABASE_URL ? "Connecting…\n" : "Opening the embedded database in .auditlogs (the first open takes 10-30 s)…\n");
await collector.start({ workers: 2 });

// The schedule runs every source when it is due; run() also queues one now and waits for it.
for (const summary of await Promise.all(["acme-zendesk", "acme-cortex", "acme-jitsudo"].map((id) => collector.run(id)))) {
  console.log(`${summary.sourceId}: ${summary.status}, ${summary.events} events in ${summary.pages} pages${summary.error ? ` (${summary.error})` : ""}`);
}
// lagMs: how far behind now each source's watermark is, the number to alert on.
console.table(await collector.status());

// Keep collecting on schedule until Ctrl-C; then stop (a run in flight resumes elsewhere or next time).
process.stderr.write("Collecting on schedule; Ctrl-C to stop.\n");
process.once("SIGINT", async () => {
  await collector.stop();
  await server.close();
  process.exit(130);
});
