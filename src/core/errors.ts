/**
 * Error classes. Every error is branded with `Symbol.for(...)` so `isInstance()` works across
 * copies of the package (ESM and CJS loaded side by side, two versions in one tree), where
 * `instanceof` cannot.
 */
/** A vendor id: a built-in one or a `defineVendor` vendor's. */
type VendorId = string;

const brand = (name: string): symbol => Symbol.for(`auditlogs.${name}`);

/**
 * The base of every error the library throws. Catch it to handle anything from auditlogs;
 * `isInstance()` (on this class or any subclass) works across copies of the package.
 */
export class AuditLogsError extends Error {
  /** The `Symbol.for` key that marks instances of this class, read by `isInstance()`. */
  static readonly brand: symbol = brand("AuditLogsError");
  /** The class's name, also across copies of the package (and after minification). */
  override name = "AuditLogsError";

  /** `message` is shown as is; `cause` is the underlying error, if any. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Each class in the chain from the one constructed up to this one marks the instance with
    // its own brand, so `ApiError.isInstance` accepts a RateLimitError and not a ConfigError.
    for (let c: unknown = new.target; c !== Error && typeof c === "function"; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, "brand")) Object.defineProperty(this, (c as typeof AuditLogsError).brand, { value: true });
    }
  }

  /** True for an instance of this class (or a subclass) from any copy of the package. */
  static isInstance<T extends abstract new (...args: any[]) => AuditLogsError>(this: T, value: unknown): value is InstanceType<T> {
    return hasBrand(value, (this as unknown as { brand: symbol }).brand);
  }
}

function hasBrand(value: unknown, symbol: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[symbol] === true;
}

/** A bad option or argument, thrown before any request. `option` names it (`"auth.email"`). */
export class ConfigError extends AuditLogsError {
  static override readonly brand: symbol = brand("ConfigError");
  override name = "ConfigError";
  /** The option or argument at fault, as a path (`"auth.email"`, `"filter.actor"`); undefined when it is the whole options object. */
  readonly option: string | undefined;
  /** The message is prefixed with the option (`"auth.email: is required"`). */
  constructor(message: string, option?: string) {
    super(option ? `${option}: ${message}` : message);
    this.option = option;
  }
}

/** What an `ApiError` (or a subclass) is made from. */
export interface ApiErrorInit {
  /** The vendor that answered. */
  vendor: VendorId;
  /** The HTTP status. */
  status: number;
  /** The vendor's request id, from the body or the `X-Request-Id` header. */
  requestId?: string | undefined;
  /** The parsed JSON body, or its text when it is not JSON. */
  body?: unknown;
  /** The response's headers. */
  headers?: Headers;
  /** Replaces the message built from vendor, status, the body's error text and the request id. */
  message?: string;
}

/** The vendor answered with an HTTP error status. Subclasses name the common statuses. */
export class ApiError extends AuditLogsError {
  static override readonly brand: symbol = brand("ApiError");
  override name = "ApiError";
  /** The vendor that answered. */
  readonly vendor: VendorId;
  /** The HTTP status. */
  readonly status: number;
  /** The vendor's request id (quote it to the vendor's support), when it sent one. */
  readonly requestId: string | undefined;
  /** The parsed JSON body, or its text when it is not JSON (Zendesk's plain-text 429); credentials echoed back are blanked out. */
  readonly body: unknown;
  /** The response's headers. */
  readonly headers: Headers | undefined;

  /** Usually made by the library; public so tests can build the errors their code handles. */
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

/** HTTP 400: the vendor rejected the request's parameters. */
export class BadRequestError extends ApiError {
  static override readonly brand: symbol = brand("BadRequestError");
  override name = "BadRequestError";
}

/** HTTP 401: the credential is wrong, expired or revoked. */
export class AuthenticationError extends ApiError {
  static override readonly brand: symbol = brand("AuthenticationError");
  override name = "AuthenticationError";
}

/** HTTP 403: the credential is valid but may not read audit logs (Zendesk: the plan or the role). */
export class PermissionDeniedError extends ApiError {
  static override readonly brand: symbol = brand("PermissionDeniedError");
  override name = "PermissionDeniedError";
}

/** HTTP 404: no such path on this origin (a wrong `baseUrl`, or the vendor's API moved). */
export class NotFoundError extends ApiError {
  static override readonly brand: symbol = brand("NotFoundError");
  override name = "NotFoundError";
}

/** HTTP 422: the vendor could not process the parameters (Datafold's date body). */
export class UnprocessableEntityError extends ApiError {
  static override readonly brand: symbol = brand("UnprocessableEntityError");
  override name = "UnprocessableEntityError";
}

/** HTTP 5xx, after the retries `maxRetries` allows. */
export class InternalServerError extends ApiError {
  static override readonly brand: symbol = brand("InternalServerError");
  override name = "InternalServerError";
}

/** 429, or a `Retry-After` longer than `maxRetryDelayMs`. `retryAfterMs` is what the vendor asked for. */
export class RateLimitError extends ApiError {
  static override readonly brand: symbol = brand("RateLimitError");
  override name = "RateLimitError";
  /** How long the vendor asked to wait, in milliseconds, when it said. */
  readonly retryAfterMs: number | undefined;
  /** `retryAfterMs` as the vendor asked (from `Retry-After` or its body). */
  constructor(init: ApiErrorInit & { retryAfterMs?: number | undefined }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request never got an HTTP answer (DNS, refused, reset, truncated body). */
export class ConnectionError extends AuditLogsError {
  static override readonly brand: symbol = brand("ConnectionError");
  override name = "ConnectionError";
}

/** A request took longer than `timeoutMs`. */
export class TimeoutError extends ConnectionError {
  static override readonly brand: symbol = brand("TimeoutError");
  override name = "TimeoutError";
}

/** The caller aborted through `signal`. */
export class UserAbortError extends AuditLogsError {
  static override readonly brand: symbol = brand("UserAbortError");
  override name = "UserAbortError";
  /** `cause` is the signal's reason. */
  constructor(message = "Request was aborted.", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A response did not have the shape the vendor documents. `path` names the field. */
export class ResponseValidationError extends AuditLogsError {
  static override readonly brand: symbol = brand("ResponseValidationError");
  override name = "ResponseValidationError";
  /** The vendor that answered. */
  readonly vendor: VendorId;
  /** Where in the response the problem is (`records[3].created_at`); empty for the whole body. */
  readonly path: string;
  /** The vendor's request id, when it sent one. */
  readonly requestId: string | undefined;
  /** What is wrong, without the vendor/path/request-id framing of `message`. */
  readonly detail: string;
  /** `message` says what is wrong at `path`; `cause`, the error that showed it (a `normalize` that threw). */
  constructor(init: { vendor: VendorId; path: string; requestId?: string | undefined; message: string; cause?: unknown }) {
    super(`${init.vendor}: invalid response at ${init.path || "(root)"}: ${init.message}${init.requestId ? ` (request id ${init.requestId})` : ""}`, "cause" in init ? { cause: init.cause } : undefined);
    this.vendor = init.vendor;
    this.path = init.path;
    this.requestId = init.requestId;
    this.detail = init.message;
  }
}

/** The server sent pagination that would loop forever or lies about what is left. */
export class PaginationLoopError extends AuditLogsError {
  static override readonly brand: symbol = brand("PaginationLoopError");
  override name = "PaginationLoopError";
  /** The vendor whose pagination misbehaved. */
  readonly vendor: VendorId;
  /** `message` says what the server did. */
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
