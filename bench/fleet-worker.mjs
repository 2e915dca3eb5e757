/**
 * One process of the fleet benchmark (fleet.mjs): a collector from the built package, configured
 * by the JSON in $FLEET_CONFIG, working until SIGTERM. It times every PostgreSQL query this
 * process makes (the collector's and pg-boss's alike, through pg's Client.prototype.query) and
 * prints `STATS {"dbMs":…,"queries":…}` every second and when it stops, and each run's end as it happens.
 */
import pg from "pg";
import { distUrl } from "./lib.mjs";

const config = JSON.parse(process.env.FLEET_CONFIG ?? "{}");
let dbMs = 0;
let queries = 0;
// FLEET_PROFILE=1: the slowest statements by total time, printed at stop (to find where time goes).
const profile = process.env.FLEET_PROFILE ? new Map() : undefined;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function timedQuery(...args) {
  const started = performance.now();
  const text = typeof args[0] === "string" ? args[0] : (args[0]?.text ?? "");
  const done = () => {
    const ms = performance.now() - started;
    queries += 1;
    dbMs += ms;
    if (profile) {
      const key = text.replace(/\s+/g, " ").slice(0, 90);
      const entry = profile.get(key) ?? { n: 0, ms: 0 };
      entry.n += 1;
      entry.ms += ms;
      profile.set(key, entry);
    }
  };
  // pg.Pool's query() calls this with a callback; a pool client's query() without one returns a promise.
  const callback = typeof args.at(-1) === "function" ? args.pop() : undefined;
  if (callback) {
    return query.call(this, ...args, (...results) => {
      done();
      callback(...results);
    });
  }
  const result = query.apply(this, args);
  if (result && typeof result.then === "function") result.then(done, done);
  return result;
};

const { createCollector } = await import(distUrl("collector.js"));
const collector = createCollector({
  connectionString: config.connectionString,
  schema: config.schema,
  staleAfterMs: config.staleAfterMs,
  sources: config.sources,
  // debug too: a queued run that another's end made moot says so there, and the bench reads every line.
  logger: { debug: (line) => console.log(line), info: (line) => console.log(line), warn: (line) => console.log(line), error: (line) => console.error(line) },
});
process.on("SIGTERM", () => {
  void collector.stop().then(() => {
    console.log(`STATS ${JSON.stringify({ dbMs, queries })}`);
    if (profile) for (const [text, e] of [...profile].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.error(`${e.n}\t${Math.round(e.ms)}\t${text}`);
    process.exit(0);
  });
});
await collector.start({ workers: config.workers });
console.log("READY");
// Reported as it goes, so a process killed mid-run has told its time up to then.
setInterval(() => console.log(`STATS ${JSON.stringify({ dbMs, queries })}`), 1_000).unref();
