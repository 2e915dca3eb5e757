/**
 * A simulator in its own process, as a vendor's server is: `createSimulator(options).listen()`
 * with the options given as JSON in argv[2]. Prints one JSON line `{ url, credentials }` on
 * stdout once it listens, and serves until its stdin closes (the parent exits or ends it).
 */
import { loadTesting } from "./lib.mjs";

const { createSimulator } = await loadTesting();
const server = await createSimulator(JSON.parse(process.argv[2] ?? "{}")).listen();
process.stdout.write(`${JSON.stringify({ url: server.url, credentials: server.credentials })}\n`);
process.stdin.resume();
process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
