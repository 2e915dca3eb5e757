// The library validates with zod/mini (DESIGN §9 bundle target), which loads no locale: without
// one every issue reads "Invalid input". The library sets English unless the application chose
// a locale, so its errors read as they did with classic zod. This file imports neither classic
// zod nor anything that does (vitest gives each file its own modules, so no other file's
// import of classic zod, which sets English itself, can make this pass).
import * as z from "zod/mini";
import { expect, test, vi } from "vitest";
import { AuditEventSchema, createClient, type ConfigError } from "../src/index.js";

const pylon = () => createClient({ vendor: "pylon", apiToken: "tok_1234567890" });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

test("English messages without classic zod: a checkpoint of the wrong shape", () => {
  const error = configError(() => pylon().events({ resumeFrom: { version: 2 } }));
  expect(error.option).toBe("resumeFrom");
  expect(error.message).toBe("resumeFrom: is not an auditlogs checkpoint at version: Invalid input: expected 1");
});

test("English messages without classic zod: AuditEventSchema", () => {
  const result = AuditEventSchema.safeParse({ vendor: "pylon", id: "" });
  expect(result.success).toBe(false);
  expect(result.error!.issues.map((issue) => [issue.path.join("."), issue.message])).toContainEqual(["id", "Too small: expected string to have >=1 characters"]);
  expect(result.error!.issues.map((issue) => [issue.path.join("."), issue.message])).toContainEqual(["occurredAt", "Invalid input: expected string, received undefined"]);
});

test("a locale the application configured before loading the library is kept", async () => {
  const previous = z.config().localeError;
  z.config({ localeError: (issue) => `eigene Meldung (${issue.code})` });
  try {
    // A fresh copy of the library (zod itself stays the one module), loaded after the choice.
    vi.resetModules();
    const fresh = await import("../src/index.js");
    expect(fresh.AuditEventSchema.safeParse({}).error!.issues[0]!.message).toBe("eigene Meldung (invalid_type)");
  } finally {
    z.config({ localeError: previous });
  }
});
