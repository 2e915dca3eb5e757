// The mapping table of DESIGN §3, vendor by vendor, on records shaped like the vendors' own
// examples (research/vendors.md: Z1, J2, C1/C2, D2 and the Pylon fixtures).
import { describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { AuditEventSchema, canonicalJson, contentHashId, operationOf, toOccurredAt } from "../src/core/event.js";
import { normalizeCortex, type CortexAuditLog } from "../src/vendors/cortex.js";
import { normalizeDatafold } from "../src/vendors/datafold.js";
import { normalizeJitsudo, type JitsudoAuditLog } from "../src/vendors/jitsudo.js";
import { normalizePylon } from "../src/vendors/pylon.js";
import { normalizeZendesk } from "../src/vendors/zendesk.js";

describe("pylon", () => {
  const raw = {
    id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    action: "UserRoleChanged",
    action_happened_at: "2026-03-02T14:05:11Z",
    created_at: "2026-03-02T14:05:12Z",
    actor_user_id: "0b2f0c0e-5f63-4f51-9b1e-2d0a3c5e9a11",
    object_type: "user",
    object_id: "4a1f6d2e-8b7c-4e3a-9d10-6f2e5b7c8a90",
    source: "web",
    attributes: { previous_role: "Member", new_role: "Admin" },
    metadata: {},
  };

  test("maps id, action_happened_at, actor user, object target; keeps the rest in unmapped", () => {
    const event = normalizePylon(raw);
    expect(event).toEqual({
      vendor: "pylon",
      id: raw.id,
      occurredAt: "2026-03-02T14:05:11.000Z",
      action: "UserRoleChanged",
      operation: "update",
      actor: { id: raw.actor_user_id, type: "user" },
      source: {},
      target: { type: "user", id: raw.object_id },
      unmapped: { source: "web", attributes: raw.attributes, metadata: {} },
      raw,
    });
    expect(AuditEventSchema.parse(event)).toBeTruthy();
  });

  test("a contact actor, created_at fallback, and no id (content hash)", () => {
    const { id: _id, action_happened_at: _at, actor_user_id: _u, ...rest } = raw;
    const event = normalizePylon({ ...rest, actor_contact_id: "c-1", action: "LoginFailed" });
    expect(event.actor).toEqual({ id: "c-1", type: "contact" });
    expect(event.occurredAt).toBe("2026-03-02T14:05:12.000Z");
    expect(event.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(event.operation).toBe("login");
    expect(event.outcome).toBe("failure");
  });

  test("a record with no action gets action unknown", () => {
    expect(normalizePylon({ id: "x", created_at: "2026-03-02T14:05:12Z" }).action).toBe("unknown");
  });

  test("no usable time is an error naming the field", () => {
    expect(() => normalizePylon({ id: "x", action_happened_at: "yesterday" })).toThrow(/action_happened_at/);
  });
});

describe("zendesk", () => {
  // Z1, the official example.
  const raw = {
    action: "update",
    actor_id: 1234,
    actor_name: "Sameer Patel",
    change_description: "Role changed from Administrator to End User",
    created_at: "2012-03-05T11:32:44Z",
    id: 498483,
    ip_address: "209.119.38.228",
    source_id: 3456,
    source_label: "John Doe",
    source_type: "user",
    url: "https://company.zendesk.com/api/v2/audit_logs/498483",
  };

  test("integer id as string, actor, ip, source as target, change_description as message, subdomain as tenant", () => {
    const event = normalizeZendesk(raw, "company");
    expect(event).toEqual({
      vendor: "zendesk",
      id: "498483",
      occurredAt: "2012-03-05T11:32:44.000Z",
      action: "update",
      operation: "update",
      actor: { id: "1234", name: "Sameer Patel" },
      source: { ip: "209.119.38.228" },
      target: { type: "user", id: "3456", name: "John Doe" },
      message: "Role changed from Administrator to End User",
      tenant: "company",
      unmapped: { url: raw.url },
      raw,
    });
    expect(AuditEventSchema.parse(event)).toBeTruthy();
  });

  test("actions map to operations", () => {
    for (const [action, op] of [["create", "create"], ["destroy", "delete"], ["exported", "read"], ["login", "login"]] as const) {
      expect(normalizeZendesk({ ...raw, action }).operation).toBe(op);
    }
  });
});

describe("cortex", () => {
  // C1 and C2.
  const raw: CortexAuditLog = { action: "UPDATE", actorIdentifier: "jane.doe@example.com", ipAddress: "203.0.113.7", objectIdentifier: "payments-service", objectType: "CATALOG", timestamp: "2026-05-04T15:22:11.123Z" };

  test("content-hash id over sorted-key JSON, email actor also in actor.email", () => {
    const event = normalizeCortex(raw);
    expect(event.id).toBe(`sha256:${createHash("sha256").update(canonicalJson(raw)).digest("hex")}`);
    expect(canonicalJson(raw)).toBe(
      '{"action":"UPDATE","actorIdentifier":"jane.doe@example.com","ipAddress":"203.0.113.7","objectIdentifier":"payments-service","objectType":"CATALOG","timestamp":"2026-05-04T15:22:11.123Z"}',
    );
    expect(event).toMatchObject({
      vendor: "cortex",
      occurredAt: "2026-05-04T15:22:11.123Z",
      action: "UPDATE",
      operation: "update",
      actor: { id: "jane.doe@example.com", email: "jane.doe@example.com" },
      source: { ip: "203.0.113.7" },
      target: { type: "CATALOG", id: "payments-service" },
      unmapped: {},
    });
    expect(AuditEventSchema.parse(event)).toBeTruthy();
  });

  test("the id does not depend on key order and differs when content differs", () => {
    const reordered = Object.fromEntries(Object.entries(raw).reverse()) as CortexAuditLog;
    expect(normalizeCortex(reordered).id).toBe(normalizeCortex(raw).id);
    expect(normalizeCortex({ ...raw, action: "CREATE" }).id).not.toBe(normalizeCortex(raw).id);
  });

  test("an API-key actor is not an email; a GitOps change has no actor", () => {
    expect(normalizeCortex({ ...raw, actorIdentifier: "ci-deploy-key" }).actor).toEqual({ id: "ci-deploy-key" });
    const { actorIdentifier: _a, ipAddress: _i, ...gitops } = raw;
    const event = normalizeCortex({ ...gitops, action: "DELETE" });
    expect(event.actor).toEqual({});
    expect(event.operation).toBe("delete");
  });
});

describe("datafold", () => {
  // D2.
  const raw = {
    timestamp: "2026-06-01T12:00:05.418000+00:00",
    event_uuid: "6a2f41a0-6c34-4c0e-9c8e-0b7e3f1a9d21",
    client_ip: "203.0.113.10",
    url: "/api/v1/datadiffs",
    action: "create",
    is_support_user: false,
    log_entry: "Created data diff 48213",
    object_id: 48213,
    object_type: "datadiff",
    payload: { data_source1_id: 7 },
    referer: "https://app.datafold.com/datadiffs/new",
    request_type: "POST",
    source: "web",
    status: "200",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
    user_email: "analyst@example.com",
    user_id: 311,
  };

  test("event_uuid, user, client_ip and user_agent, object target, log_entry message", () => {
    const event = normalizeDatafold(raw);
    expect(event).toEqual({
      vendor: "datafold",
      id: raw.event_uuid,
      occurredAt: "2026-06-01T12:00:05.418Z",
      action: "create",
      operation: "create",
      actor: { id: "311", email: "analyst@example.com" },
      source: { ip: "203.0.113.10", userAgent: raw.user_agent },
      target: { type: "datadiff", id: "48213" },
      message: "Created data diff 48213",
      unmapped: { url: raw.url, is_support_user: false, payload: raw.payload, referer: raw.referer, request_type: "POST", source: "web", status: "200" },
      raw,
    });
    expect(AuditEventSchema.parse(event)).toBeTruthy();
  });

  test("nulls are treated as absent", () => {
    const event = normalizeDatafold({ ...raw, action: null, log_entry: null, object_id: null, object_type: null, user_agent: null });
    expect(event.action).toBe("unknown");
    expect(event.message).toBeUndefined();
    expect(event.target).toBeUndefined();
    expect(event.source).toEqual({ ip: "203.0.113.10" });
  });
});

describe("jitsudo", () => {
  // J2.
  const raw: JitsudoAuditLog = {
    id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    actor_id: "system",
    actor_type: "system",
    action: "request.approved",
    resource_type: "aws_account",
    resource_id: "123456789012",
    metadata: { approval_mode: "auto", policy_rule: "auto-approve-dev" },
    reasoning: "Permitted by policy auto-approve-dev (priority 100)",
    created_at: "2026-04-10T08:00:01Z",
  };

  test("actor id and type, resource target, reasoning message, tenant", () => {
    const event = normalizeJitsudo(raw, "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0");
    expect(event).toEqual({
      vendor: "jitsudo",
      id: raw.id,
      occurredAt: "2026-04-10T08:00:01.000Z",
      action: "request.approved",
      operation: "other",
      actor: { id: "system", type: "system" },
      source: {},
      target: { type: "aws_account", id: "123456789012" },
      message: raw.reasoning,
      tenant: "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
      unmapped: { metadata: raw.metadata },
      raw,
    });
  });

  test("null reasoning gives no message", () => {
    expect(normalizeJitsudo({ ...raw, reasoning: null, action: "request.created" })).not.toHaveProperty("message");
    expect(normalizeJitsudo({ ...raw, action: "request.created" }).operation).toBe("create");
  });
});

describe("operation keywords (DESIGN §10)", () => {
  test.each([
    ["UserCreated", "create"],
    ["TeamMemberAdded", "create"],
    ["UserInvited", "create"],
    ["report.viewed", "read"],
    ["exported", "read"],
    ["download_file", "read"],
    ["IssuePriorityChanged", "update"],
    ["OrganizationEmailSettingsUpdated", "update"],
    ["sso_disabled", "update"],
    ["APITokenRevoked", "delete"],
    ["destroy", "delete"],
    ["LoginSucceeded", "login"],
    ["user.sign_in", "login"],
    ["authenticate", "login"],
    ["IssueOpened", "other"],
    ["address_book", "other"],
  ])("%s → %s", (action, op) => {
    expect(operationOf(action)).toBe(op);
  });
});

describe("times", () => {
  test.each([
    ["2026-03-02T14:05:11Z", "2026-03-02T14:05:11.000Z"],
    ["2026-03-02T14:05:11.5+02:00", "2026-03-02T12:05:11.500Z"],
    ["2026-06-01T12:00:05.418000+00:00", "2026-06-01T12:00:05.418Z"],
    ["2026-06-01T12:00:05", "2026-06-01T12:00:05.000Z"],
    ["yesterday", undefined],
    ["", undefined],
  ])("%s", (input, expected) => {
    expect(toOccurredAt(input)).toBe(expected);
  });

  test("content hash ignores key order at every depth", () => {
    expect(contentHashId({ a: { y: 1, x: [{ b: 2, a: 1 }] } })).toBe(contentHashId({ a: { x: [{ a: 1, b: 2 }], y: 1 } }));
  });
});
