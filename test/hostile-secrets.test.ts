// DESIGN §14 secrets in echoes: a server that copies the credential it was sent into a header
// (X-Request-Id, WWW-Authenticate, Location) or its body, plain, base64 or URL-encoded, never
// gets it printed: requestId, error.headers, error.body, the message, JSON.stringify and
// util.inspect of the error, and every log line are redacted. requestId is at most 200
// printable characters. Loopback servers.
import { inspect } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { ApiError, ResponseValidationError } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { clientOf, closeAll, deepJson, drain, hostile, page, RUN } from "./hostile-fixtures.js";
import { BASIC, SECRETS } from "./http-fixtures.js";

afterAll(closeAll);

/** The Authorization value each client sends (what a hostile server copies). */
const SENT: Record<VendorId, string> = {
  pylon: `Bearer ${SECRETS.token}`,
  zendesk: `Basic ${BASIC}`,
  cortex: `Bearer ${SECRETS.token}`,
  datafold: `Key ${SECRETS.key}`,
  jitsudo: SECRETS.key,
};

/** Every form of a credential that must not come out: plain, base64, URL-encoded. */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("base64url"), encodeURIComponent(secret)];
}
const NEEDLES = [...new Set([SECRETS.token, SECRETS.key, `${SECRETS.email}/token:${SECRETS.token}`, BASIC].flatMap(forms))].filter((n) => n.length >= 8);

/** All the places a user could print: the error every way, and each log line. */
function printed(error: unknown, lines: string[]): string {
  const e = error as ApiError;
  const headers: string[] = [];
  e.headers?.forEach((value, key) => headers.push(`${key}: ${value}`));
  return [String(error), e.message, e.stack, e.requestId, JSON.stringify(error), JSON.stringify(e.body), inspect(error, { depth: 10 }), headers.join("\n"), ...lines].join("\n");
}

function logger(lines: string[]) {
  const log = (message: string, data?: unknown) => lines.push(`${message} ${inspect(data, { depth: 10 })}`);
  return { debug: log, info: log, warn: log, error: log };
}

describe.each<VendorId>(["pylon", "zendesk", "cortex", "datafold", "jitsudo"])("%s: a server echoing the credential", (vendor) => {
  test("in X-Request-Id, WWW-Authenticate, Location and the body (plain, base64, URL-encoded): printed nowhere", async () => {
    const server = await hostile((req, res) => {
      const sent = String(req.headers.authorization ?? req.headers["x-api-key"]);
      const body = JSON.stringify({
        error: `denied for ${sent}`,
        message: `base64 ${Buffer.from(sent).toString("base64")} url ${encodeURIComponent(sent)}`,
        [`key ${sent}`]: [sent, encodeURIComponent(sent.split(" ").pop()!)],
      });
      res.writeHead(401, {
        "content-type": "application/json",
        "x-request-id": sent,
        "www-authenticate": `Bearer realm="api", error="invalid_token", token="${sent}"`,
        location: `/login?auth=${encodeURIComponent(sent)}`,
      });
      res.end(body);
    });
    const lines: string[] = [];
    const { error } = await drain(clientOf(vendor, server, { logger: logger(lines), logLevel: "debug" }).events(RUN));
    expect(ApiError.isInstance(error)).toBe(true);
    expect((error as ApiError).status).toBe(401);
    expect(server.requests[0]!.headers.authorization ?? server.requests[0]!.headers["x-api-key"]).toBe(SENT[vendor]);
    const out = printed(error, lines);
    for (const needle of NEEDLES) expect(out).not.toContain(needle);
    expect((error as ApiError).requestId).toContain("***");
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe("request ids", () => {
  test("a request id is at most 200 printable characters, whatever the server sends", async () => {
    const id = `req-\u0007\u001b[31m${"x".repeat(5_000)}\u2028end`;
    const server = await hostile((_req, res) => {
      const text = JSON.stringify({ nope: true, request_id: id });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const { error } = await drain(clientOf("pylon", server).events(RUN));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    const requestId = (error as ResponseValidationError).requestId!;
    expect(requestId.length).toBeLessThanOrEqual(200);
    expect(requestId).toMatch(/^[\x20-\x7e]+$/);
    expect(requestId.startsWith("req-[31mxxx")).toBe(true);
    expect((error as Error).message.length).toBeLessThan(600);
  });

  test("a control character splitting an echoed token does not let it through", async () => {
    const server = await hostile((_req, res) => {
      const [head, tail] = [SECRETS.token.slice(0, 5), SECRETS.token.slice(5)];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ nope: true, request_id: `id ${head}\u0000${tail}` }));
    });
    const { error } = await drain(clientOf("pylon", server).events(RUN));
    expect((error as ResponseValidationError).requestId).toBe("id ***");
  });
});

describe("bodies an echo cannot crash", () => {
  test("a 401 whose body nests 5,000 deep is an AuthenticationError with the body summarized, not a RangeError", async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(`{"error":"no","detail":${deepJson(5_000)}}`);
    });
    const { error } = await drain(clientOf("pylon", server).events(RUN));
    expect(ApiError.isInstance(error)).toBe(true);
    expect(JSON.stringify(error)).toContain("[nested too deep]");
    expect(() => inspect(error, { depth: Infinity })).not.toThrow();
  });

  test("a page answer echoing the token in its request_id", async () => {
    const server = await hostile((req, res) => {
      const text = JSON.stringify({ ...page("pylon", []), data: "not a list", request_id: String(req.headers.authorization) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const lines: string[] = [];
    const { error } = await drain(clientOf("pylon", server, { logger: logger(lines), logLevel: "debug" }).events(RUN));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    const out = printed(error, lines);
    for (const needle of NEEDLES) expect(out).not.toContain(needle);
  });
});
