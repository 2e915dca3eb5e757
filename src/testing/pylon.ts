/**
 * Pylon's `GET /audit-logs`: Bearer token, `cursor` + `limit` (1–999, default 100), body
 * `{data, pagination: {cursor, has_next_page}, request_id}`, no filters, 429 with `X-Retry-After`.
 */
import type { components } from "../../generated/pylon.js";
import { isoSeconds, person, type Random } from "./data.js";
import { AuditLog, bearer, intParam, json, pageAfter, type FakeRequest, type VendorFake } from "./vendor.js";

type PylonRecord = components["schemas"]["AuditLog"];

const ACTIONS = ["LoginSucceeded", "LoginFailed", "UserCreated", "UserDeleted", "UserInvited", "UserRoleChanged", "APITokenCreated", "APITokenRevoked", "IssueOpened", "IssueClosed", "IssueAssigned", "IssuePriorityChanged", "OrganizationAccessSettingsUpdated", "TeamMemberAdded", "TeamMemberRemoved"];

export function pylonFake(credentials: { apiToken: string }): VendorFake<PylonRecord> {
  const errors = (req: FakeRequest, status: number, message: string, headers: Record<string, string> = {}) =>
    json({ errors: [message], request_id: req.requestId }, status, headers);

  return {
    vendor: "pylon",
    path: "/audit-logs",
    precisionMs: 1000,
    log: new AuditLog<PylonRecord>(),

    authenticate: (req) => (bearer(req.request) === credentials.apiToken ? undefined : errors(req, 401, "Unauthorized: invalid API token")),
    rateLimited: (req, seconds) => errors(req, 429, "Rate limit exceeded", { "X-Retry-After": String(seconds), "X-Rate-Limit-Remaining": "0" }),
    serverError: (req, status) => errors(req, status, "Internal server error"),

    list(req) {
      const limit = intParam(req.url.searchParams.get("limit"), 100, 1, 999);
      if (limit === "invalid") return errors(req, 400, "limit must be greater than 0 and less than 1000");
      const page = pageAfter(this.log.entries, req.url.searchParams.get("cursor"), limit);
      if (page === "bad-cursor") return errors(req, 400, "invalid cursor");
      return json({
        data: page.items.map((e) => e.record),
        // `cursor` is required even on the last page; there it repeats the last position.
        pagination: { cursor: page.next ?? "", has_next_page: page.next !== undefined },
        request_id: req.requestId,
      });
    },

    make(rng: Random, at: number): PylonRecord {
      const action = rng.pick(ACTIONS);
      const byContact = action.startsWith("Issue") && rng.chance(0.3);
      const objectType = action.startsWith("Issue") ? "issue" : action.startsWith("Team") ? "team" : action.startsWith("APIToken") ? "api_token" : action.startsWith("Organization") ? "organization" : "user";
      const record: PylonRecord = {
        id: rng.uuid(),
        action,
        action_happened_at: isoSeconds(at),
        created_at: isoSeconds(at + rng.int(0, 1) * 1000),
        object_type: objectType,
        object_id: rng.uuid(),
        source: rng.pick(["web", "api", "slack", "email"]),
        attributes: objectType === "user" && action === "UserRoleChanged" ? { previous_role: "Member", new_role: "Admin" } : {},
        metadata: action.startsWith("Login") ? { email: person(rng).email } : {},
      };
      if (byContact) record.actor_contact_id = rng.uuid();
      else record.actor_user_id = rng.uuid();
      if (objectType === "issue") record.link = `https://app.usepylon.com/issues?issueNumber=${rng.int(1000, 9999)}`;
      return record;
    },
  };
}
