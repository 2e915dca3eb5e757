/**
 * Error classes. Every error is branded with `Symbol.for(...)` so `isInstance()` works across
 * copies of the package (ESM and CJS loaded side by side, two versions in one tree), where
 * `instanceof` cannot.
 */
/** A vendor id: a built-in one or a `defineVendor` vendor's. */
type VendorId = string;

const brand = (name: string): symbol => Symbol.for(`auditlogs.${name}`);

export class AuditLogsError extends Error {
  static readonly brand = brand("AuditLogsError");
  override name = "AuditLogsError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, AuditLogsError.brand, { value: true });
  }

  /** True for an instance of this class (or a subclass) from any copy of the package. */
  static isInstance<T extends abstract new (...args: any[]) => AuditLogsError>(this: T, value: unknown): value is InstanceType<T> {
    return hasBrand(value, (this as unknown as { brand: symbol }).brand);
  }
}

function hasBrand(value: unknown, symbol: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[symbol] === true;
}

/** Declares a subclass with its own brand, so `isInstance` on a subclass only accepts that subclass. */
function branded<T extends abstract new (...args: any[]) => AuditLogsError>(Base: T, name: string) {
  const symbol = brand(name);
  abstract class Branded extends Base {
    static readonly brand: symbol = symbol;
    constructor(...args: any[]) {
      super(...args);
      Object.defineProperty(this, symbol, { value: true });
      this.name = name;
    }
  }
  return Branded;
}

/** A bad option or argument, thrown before any request. `option` names it (`"auth.email"`). */
export class ConfigError extends branded(AuditLogsError, "ConfigError") {
  readonly option: string | undefined;
  constructor(message: string, option?: string) {
    super(option ? `${option}: ${message}` : message);
    this.option = option;
  }
}

export interface ApiErrorInit {
  vendor: VendorId;
  status: number;
  requestId?: string | undefined;
  body?: unknown;
  headers?: Headers;
  message?: string;
}

/** The vendor answered with an HTTP error status. */
export class ApiError extends branded(AuditLogsError, "ApiError") {
  readonly vendor: VendorId;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly body: unknown;
  readonly headers: Headers | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message ?? `${init.vendor}: HTTP ${init.status}${detailOf(init.body)}${init.requestId ? ` (request id ${init.requestId})` : ""}`);
    this.vendor = init.vendor;
    this.status = init.status;
    this.requestId = init.requestId;
    this.body = init.body;
    this.headers = init.headers;
  }
}

/** Pulls a short human message out of the error bodies the five vendors use. */
function detailOf(body: unknown): string {
  let text: string | undefined;
  if (typeof body === "string") text = body;
  else if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const errors = Array.isArray(b.errors) ? b.errors.filter((e) => typeof e === "string").join("; ") : undefined;
    const detail = typeof b.detail === "string" ? b.detail : Array.isArray(b.detail) ? JSON.stringify(b.detail) : undefined;
    text = [b.error, b.description, b.code, b.message, b.title, detail, errors]
      .filter((v): v is string => typeof v === "string" && v.length > 0)
      .join(": ");
  }
  text = text?.trim().replace(/\s+/g, " ");
  return text ? ` ${text.slice(0, 300)}` : "";
}

export class BadRequestError extends branded(ApiError, "BadRequestError") {}
export class AuthenticationError extends branded(ApiError, "AuthenticationError") {}
export class PermissionDeniedError extends branded(ApiError, "PermissionDeniedError") {}
export class NotFoundError extends branded(ApiError, "NotFoundError") {}
export class UnprocessableEntityError extends branded(ApiError, "UnprocessableEntityError") {}
export class InternalServerError extends branded(ApiError, "InternalServerError") {}

/** 429, or a `Retry-After` longer than `maxRetryDelayMs`. `retryAfterMs` is what the vendor asked for. */
export class RateLimitError extends branded(ApiError, "RateLimitError") {
  readonly retryAfterMs: number | undefined;
  constructor(init: ApiErrorInit & { retryAfterMs?: number | undefined }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request never got an HTTP answer (DNS, refused, reset, truncated body). */
export class ConnectionError extends branded(AuditLogsError, "ConnectionError") {}

/** A request took longer than `timeoutMs`. */
export class TimeoutError extends branded(ConnectionError, "TimeoutError") {}

/** The caller aborted through `signal`. */
export class UserAbortError extends branded(AuditLogsError, "UserAbortError") {
  constructor(message = "Request was aborted.", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A response did not have the shape the vendor documents. `path` names the field. */
export class ResponseValidationError extends branded(AuditLogsError, "ResponseValidationError") {
  readonly vendor: VendorId;
  readonly path: string;
  readonly requestId: string | undefined;
  /** What is wrong, without the vendor/path/request-id framing of `message`. */
  readonly detail: string;
  constructor(init: { vendor: VendorId; path: string; requestId?: string | undefined; message: string }) {
    super(`${init.vendor}: invalid response at ${init.path || "(root)"}: ${init.message}${init.requestId ? ` (request id ${init.requestId})` : ""}`);
    this.vendor = init.vendor;
    this.path = init.path;
    this.requestId = init.requestId;
    this.detail = init.message;
  }
}

/** The server sent pagination that would loop forever or lies about what is left. */
export class PaginationLoopError extends branded(AuditLogsError, "PaginationLoopError") {
  readonly vendor: VendorId;
  constructor(vendor: VendorId, message: string) {
    super(`${vendor}: ${message}`);
    this.vendor = vendor;
  }
}

/** Maps an HTTP status to the error class a caller catches. */
export function apiErrorFor(init: ApiErrorInit & { retryAfterMs?: number | undefined }): ApiError {
  const { status } = init;
  if (status === 400) return new BadRequestError(init);
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new PermissionDeniedError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 422) return new UnprocessableEntityError(init);
  if (status === 429) return new RateLimitError(init);
  if (status >= 500) return new InternalServerError(init);
  return new ApiError(init);
}
