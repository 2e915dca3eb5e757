// The error classes, declared without a mixin (so the d.ts shows plain classes): each class still
// brands its instances, so isInstance() accepts the class and its subclasses only, also for an
// instance from another copy of the package (which carries the same Symbol.for brands).
import { expect, test } from "vitest";
import * as errors from "../src/core/errors.js";

const { AuditLogsError, ConfigError, ApiError, BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError, RateLimitError, InternalServerError, ConnectionError, TimeoutError, UserAbortError, ResponseValidationError, PaginationLoopError } = errors;

const init = { vendor: "pylon" as const, status: 400 };
const instances = {
  AuditLogsError: new AuditLogsError("x"),
  ConfigError: new ConfigError("is required", "apiToken"),
  ApiError: new ApiError(init),
  BadRequestError: new BadRequestError(init),
  AuthenticationError: new AuthenticationError(init),
  PermissionDeniedError: new PermissionDeniedError(init),
  NotFoundError: new NotFoundError(init),
  UnprocessableEntityError: new UnprocessableEntityError(init),
  RateLimitError: new RateLimitError({ ...init, status: 429, retryAfterMs: 5 }),
  InternalServerError: new InternalServerError(init),
  ConnectionError: new ConnectionError("x"),
  TimeoutError: new TimeoutError("x"),
  UserAbortError: new UserAbortError(),
  ResponseValidationError: new ResponseValidationError({ vendor: "pylon", path: "a", message: "b" }),
  PaginationLoopError: new PaginationLoopError("pylon", "x"),
};
const parent: Record<string, string | undefined> = {
  AuditLogsError: undefined,
  ConfigError: "AuditLogsError",
  ApiError: "AuditLogsError",
  BadRequestError: "ApiError",
  AuthenticationError: "ApiError",
  PermissionDeniedError: "ApiError",
  NotFoundError: "ApiError",
  UnprocessableEntityError: "ApiError",
  RateLimitError: "ApiError",
  InternalServerError: "ApiError",
  ConnectionError: "AuditLogsError",
  TimeoutError: "ConnectionError",
  UserAbortError: "AuditLogsError",
  ResponseValidationError: "AuditLogsError",
  PaginationLoopError: "AuditLogsError",
};
const ancestors = (name: string): string[] => (name ? [name, ...(parent[name] ? ancestors(parent[name]!) : [])] : []);

test.each(Object.keys(instances))("%s: name, instanceof, and isInstance of exactly its ancestors", (name) => {
  const error = instances[name as keyof typeof instances];
  expect(error.name).toBe(name);
  expect(String(error)).toMatch(new RegExp(`^${name}: `));
  expect(error).toBeInstanceOf(Error);
  for (const other of Object.keys(instances)) {
    const Class = (errors as Record<string, unknown>)[other] as typeof AuditLogsError;
    expect([other, Class.isInstance(error)]).toEqual([other, ancestors(name).includes(other)]);
    expect([other, error instanceof Class]).toEqual([other, ancestors(name).includes(other)]);
  }
});

test("isInstance accepts an instance from another copy of the package (the same Symbol.for brands)", () => {
  const foreign = Object.create(Error.prototype) as Record<symbol, boolean>;
  for (const name of ancestors("RateLimitError")) Object.defineProperty(foreign, Symbol.for(`auditlogs.${name}`), { value: true });
  expect(RateLimitError.isInstance(foreign)).toBe(true);
  expect(ApiError.isInstance(foreign)).toBe(true);
  expect(BadRequestError.isInstance(foreign)).toBe(false);
  expect(ConfigError.isInstance(foreign)).toBe(false);
});

test("fields survive the class rewrite", () => {
  expect(instances.ConfigError).toMatchObject({ option: "apiToken", message: "apiToken: is required" });
  expect(instances.RateLimitError).toMatchObject({ vendor: "pylon", status: 429, retryAfterMs: 5 });
  expect(instances.ApiError.message).toBe("pylon: HTTP 400");
});
