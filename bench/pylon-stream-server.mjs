/**
 * A bench-only loopback server that serves Pylon-shaped audit-log pages generated on the fly,
 * for the 1M-event memory benchmark: the simulator keeps every record it serves in memory
 * (`sim.events`), which for a million records costs more time and RAM than the run itself.
 * Records are deterministic functions of their index; the cursor is the next index.
 */
import { createServer } from "node:http";

const ACTIONS = ["UserCreated", "UserRoleChanged", "IssueUpdated", "IssueDeleted", "LoginSucceeded", "LoginFailed", "ApiTokenRevoked", "ExportDownloaded"];
const OBJECT_TYPES = ["user", "issue", "account", "api_token"];
const START = Date.parse("2025-01-01T00:00:00.000Z");

function hex(n, width) {
  return n.toString(16).padStart(width, "0");
}

/** The record at `index`: every Pylon field, plus extra ones that land in `unmapped`. */
export function pylonRecord(index) {
  const at = new Date(START + index * 1_000).toISOString();
  return {
    id: `${hex(index, 8)}-7425-40de-944b-${hex(index * 7919, 12).slice(-12)}`,
    action: ACTIONS[index % ACTIONS.length],
    action_happened_at: at,
    created_at: at,
    actor_user_id: `user-${index % 97}`,
    object_type: OBJECT_TYPES[index % OBJECT_TYPES.length],
    object_id: `obj-${index % 1009}`,
    source: "web",
    attributes: { previous_role: "Member", new_role: "Admin" },
  };
}

/**
 * Starts the server on 127.0.0.1. `GET /audit-logs?limit&cursor` answers with `{data,
 * pagination: {cursor, has_next_page}, request_id}` over `total` records.
 */
export async function startPylonStreamServer({ total }) {
  let requests = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname !== "/audit-logs") {
      res.writeHead(404).end();
      return;
    }
    requests += 1;
    const limit = Math.min(999, Math.max(1, Number(url.searchParams.get("limit") ?? 100)));
    const from = Number(url.searchParams.get("cursor") ?? 0);
    const to = Math.min(total, from + limit);
    const data = [];
    for (let i = from; i < to; i++) data.push(pylonRecord(i));
    const body = JSON.stringify({ data, pagination: { cursor: String(to), has_next_page: to < total }, request_id: `req-${requests}` });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
