/**
 * Pylon, `GET /audit-logs` (vendor-docs/000, research §1): `Authorization: Bearer <token>`;
 * `cursor` + `limit` (1–999, default 100; out of range is a 400); body
 * `{data, pagination: {cursor, has_next_page}, request_id}`; no filters at all; errors
 * `{errors: [...], request_id}`; 429 with `X-Retry-After` (seconds).
 */
import type { components } from "../../generated/pylon.js";
import { isoSeconds, person, type Random } from "./data.js";
import { authToken, cursorParam, encodeCursor, intParam, json, keysetPage, type FakeContext, type VendorFake } from "./fake.js";

// Records ---------------------------------------------------------------------------------------

export type PylonRecord = components["schemas"]["AuditLog"];

/** CamelCase actions, as in Pylon's SIEM article. */
const ACTIONS = [
  "LoginSucceeded", "LoginFailed", "UserCreated", "UserDeleted", "UserInvited", "UserRoleChanged", "APITokenCreated", "APITokenRevoked",
  "IssueOpened", "IssueClosed", "IssueAssigned", "IssuePriorityChanged", "IssueFirstResponseSLABreached", "OrganizationAccessSettingsUpdated",
  "AccountCreated", "TeamCreated", "TeamMemberAdded", "TeamMemberRemoved",
];
const OBJECT_TYPES: Array<[prefix: string, objectType: string]> = [["Issue", "issue"], ["Team", "team"], ["APIToken", "api_token"], ["Organization", "organization"], ["Account", "account"]];

/** Every field of Pylon's AuditLog is optional: contacts act instead of users, SLA breaches have no actor. */
function record(rng: Random, at: number): PylonRecord {
  const action = rng.pick(ACTIONS);
  const objectType = OBJECT_TYPES.find(([prefix]) => action.startsWith(prefix))?.[1] ?? "user";
  const out: PylonRecord = { id: rng.uuid(), action };
  // A record without action_happened_at is read by its created_at, so that one is `at` exactly.
  if (rng.chance(0.95)) Object.assign(out, { action_happened_at: isoSeconds(at), created_at: isoSeconds(at + rng.int(0, 1) * 1000) });
  else out.created_at = isoSeconds(at);
  if (action.includes("SLABreached")) out.source = "system";
  else if (objectType === "issue" && rng.chance(0.3)) Object.assign(out, { actor_contact_id: rng.uuid(), source: rng.pick(["slack", "email", "portal"]) });
  else Object.assign(out, { actor_user_id: rng.uuid(), source: rng.pick(["web", "api"]) });
  Object.assign(out, { object_type: objectType, object_id: rng.uuid() });
  if (objectType === "issue") {
    const issueNumber = String(rng.int(1000, 9999));
    Object.assign(out, { link: `https://app.usepylon.com/issues?issueNumber=${issueNumber}`, attributes: { issue_number: issueNumber } });
  } else if (action === "UserRoleChanged") {
    out.attributes = { previous_role: "Member", new_role: "Admin" };
  } else if (action === "APITokenCreated") {
    out.attributes = { token_name: rng.pick(["siem-export", "zapier", "terraform"]) };
  }
  out.metadata = action.startsWith("Login") ? { email: person(rng).email, method: rng.pick(["google", "saml", "password"]) } : {};
  return out;
}

// Errors ----------------------------------------------------------------------------------------

function errors(context: FakeContext<PylonRecord>, status: number, message: string, headers: Record<string, string> = {}): Response {
  return json({ errors: [message], request_id: context.requestId }, status, headers);
}

// The fake --------------------------------------------------------------------------------------

export const pylon: VendorFake<PylonRecord> = {
  vendor: "pylon",
  paths: ["/audit-logs"],
  precisionMs: 1000,

  authenticate(request, context) {
    return authToken(request, "Bearer") === context.config.credentials.pylon.apiToken ? undefined : errors(context, 401, "invalid or missing API token");
  },

  list(_request, _body, context) {
    const query = context.url.searchParams;
    const limit = intParam(query.get("limit"), 100, 1, 999);
    if (limit === "invalid") return errors(context, 400, "limit must be greater than 0 and less than 1000");
    const after = cursorParam(query, "cursor");
    if (after === "invalid") return errors(context, 400, "invalid cursor");
    // Pylon documents no order: the simulator serves either (`pylonOrder`).
    const page = keysetPage(context.log.entries, { after, limit, newestFirst: context.config.pylonOrder === "newest-first" });
    const last = page.items[page.items.length - 1];
    return json({
      data: page.items.map((entry) => entry.record),
      // `cursor` is required even on the last page: there it still names the last record, so a
      // later poll with it gets only what arrived since (Pylon's SIEM guide keeps the cursor).
      pagination: { cursor: last ? encodeCursor(last) : (query.get("cursor") ?? ""), has_next_page: page.hasNext },
      request_id: context.requestId,
    });
  },

  rateLimitHeaders: (_perMinute, remaining) => ({ "X-Rate-Limit-Remaining": String(remaining) }),
  rateLimited: (context, seconds) => errors(context, 429, "rate limit exceeded", { "X-Retry-After": String(seconds), "X-Rate-Limit-Remaining": "0" }),
  serverError: (context, status) => errors(context, status, status === 500 ? "internal server error" : "service unavailable, try again"),
  record,
};
