/**
 * A fake of the Acme Audit API, for tests and the simulator: a function from a Request to the
 * Response Acme would send. It checks the token (401), `limit` (400 above 1000), the time filter
 * `[since, until)`, and pages with an opaque `after` cursor in a `Link` header.
 */
import type { Fake } from "auditlogs/testing";
import type { AcmeLog } from "./acme.js";

/** The fake's records (oldest first) and the token it accepts. */
export interface AcmeFake {
  /** Serves one request. */
  fake: Fake;
  /** The records served; add to it to make new events appear. */
  records: AcmeLog[];
  /** The token it accepts. */
  apiToken: string;
}

/** A fake Acme with `count` records, one a minute, ending five minutes before `endAt`. */
export function createAcmeFake(options: { count?: number; apiToken?: string; endAt?: number } = {}): AcmeFake {
  const apiToken = options.apiToken ?? "sim_acme_token";
  const count = options.count ?? 30;
  const end = options.endAt ?? Date.now() - 5 * 60_000;
  const types = ["user.session.start", "user.account.update_profile", "group.user_membership.add", "app.user_membership.remove", "user.lifecycle.create"];
  const records: AcmeLog[] = Array.from({ length: count }, (_, i) => ({
    uuid: `acme-${String(i).padStart(5, "0")}`,
    published: new Date(end - (count - i) * 60_000).toISOString(),
    eventType: types[i % types.length]!,
    displayMessage: `event ${i}`,
    actor: { id: `u${i % 7}`, type: "User", displayName: `User ${i % 7}`, alternateId: `user${i % 7}@acme.example.com` },
    client: { ipAddress: `198.51.100.${i % 250}`, userAgent: "Mozilla/5.0" },
    target: [{ id: `g${i % 3}`, type: "UserGroup", displayName: `Group ${i % 3}` }],
    outcome: { result: i % 11 === 0 ? "FAILURE" : "SUCCESS" },
    debugContext: { requestUri: "/login" },
  }));

  const fake: Fake = (request) => {
    const url = new URL(request.url);
    const requestId = `acme-${Math.random().toString(36).slice(2, 10)}`;
    const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "x-request-id": requestId, ...headers } });
    if (url.pathname !== "/api/v1/logs") return json({ errorCode: "E0000007", errorSummary: `Not found: ${url.pathname}` }, 404);
    if (request.headers.get("authorization") !== `SSWS ${apiToken}`) return json({ errorCode: "E0000011", errorSummary: "Invalid token provided" }, 401);
    const q = url.searchParams;
    const limit = Number(q.get("limit") ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return json({ errorCode: "E0000001", errorSummary: "limit must be 1 to 1000" }, 400);
    const since = q.has("since") ? Date.parse(q.get("since")!) : -Infinity;
    const until = q.has("until") ? Date.parse(q.get("until")!) : Infinity;
    if (Number.isNaN(since) || Number.isNaN(until)) return json({ errorCode: "E0000001", errorSummary: "since/until must be ISO 8601" }, 400);
    const inRange = records.filter((r) => Date.parse(r.published) >= since && Date.parse(r.published) < until);
    const after = q.get("after");
    const start = after === null ? 0 : Number(Buffer.from(after, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0) return json({ errorCode: "E0000001", errorSummary: "bad after cursor" }, 400);
    const page = inRange.slice(start, start + limit);
    const headers: Record<string, string> = {};
    if (start + limit < inRange.length) {
      const next = new URL(url);
      next.searchParams.set("after", Buffer.from(String(start + limit)).toString("base64url"));
      headers.link = `<${url.href}>; rel="self", <${next.href}>; rel="next"`;
    }
    return json(page, 200, headers);
  };
  return { fake, records, apiToken };
}
