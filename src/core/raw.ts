/**
 * `client.raw`: an openapi-fetch client on the library's transport (auth, retries, timeout, rate
 * limit), with one change to what it returns. openapi-fetch's `error` is the error response's
 * body: `undefined` when it is empty (Pylon's 429), a string when it is text (Zendesk's 429 and
 * some 400s), and `""` when that text is empty. All of those are falsy, so the usual
 * `if (error) throw error;` lets a failed call through with `data` undefined, and TypeScript,
 * seeing those types in `error`, cannot narrow `data` either. Here `error` is the vendor's JSON
 * body when it is a JSON object or array, and otherwise the `ApiError` the same response raises
 * from `events()` (status, request id, the text in `body`), so `error` is set whenever the call
 * failed and the idiom narrows for every vendor.
 */
import type { Client, FetchResponse, MaybeOptionalInit, Middleware } from "openapi-fetch";
import { apiErrorFor, type ApiError } from "./errors.js";
import { errorOfRawResponse, type HttpClient } from "./http.js";

type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";
type MediaType = `${string}/${string}`;
type PathsWith<Paths, M extends HttpMethod> = { [P in keyof Paths]: Paths[P] extends { [K in M]: any } ? P : never }[keyof Paths];
// openapi-fetch's own helpers (not exported by it): the init argument is optional when nothing in
// it is required.
type RequiredKeysOf<T> = { [K in keyof T]: {} extends Pick<T, K> ? never : K }[keyof T];
type Operation<Paths, Path extends keyof Paths, M extends HttpMethod> = Paths[Path] extends { [K in M]: infer Op extends Record<string | number, any> } ? Op : never;
type InitParam<Init> = RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];

/**
 * openapi-fetch's result, with `error` as `client.raw` returns it: the vendor's JSON error body
 * (the object types its spec declares) or an `ApiError`, never a falsy value.
 */
export type RawResponse<R> = R extends { data?: never; error: infer E; response: Response }
  ? { data?: never; error: Extract<E, object> | ApiError; response: Response }
  : R;

/** One HTTP method of `client.raw`: openapi-fetch's signature, returning a `RawResponse`. */
export type RawMethod<Paths extends {}, M extends HttpMethod> = <
  Path extends PathsWith<Paths, M>,
  Init extends MaybeOptionalInit<Paths[Path], M & keyof Paths[Path]>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<RawResponse<FetchResponse<Operation<Paths, Path, M>, Init, MediaType>>>;

/**
 * Typed calls to a vendor's API (openapi-fetch's `Client`), with the library's auth, retries,
 * timeout and rate limit. `const { data, error } = await raw.GET(path, init); if (error) throw
 * error;` leaves `data` defined: a failed call always sets `error`.
 */
export interface RawClient<Paths extends {}> {
  /** Calls `method` on `url`. */
  request<M extends HttpMethod, Path extends PathsWith<Paths, M>, Init extends MaybeOptionalInit<Paths[Path], M & keyof Paths[Path]>>(
    method: M,
    url: Path,
    ...init: InitParam<Init>
  ): Promise<RawResponse<FetchResponse<Operation<Paths, Path, M>, Init, MediaType>>>;
  /** Calls a GET endpoint. */
  GET: RawMethod<Paths, "get">;
  /** Calls a PUT endpoint. */
  PUT: RawMethod<Paths, "put">;
  /** Calls a POST endpoint. */
  POST: RawMethod<Paths, "post">;
  /** Calls a DELETE endpoint. */
  DELETE: RawMethod<Paths, "delete">;
  /** Calls an OPTIONS endpoint. */
  OPTIONS: RawMethod<Paths, "options">;
  /** Calls a HEAD endpoint. */
  HEAD: RawMethod<Paths, "head">;
  /** Calls a PATCH endpoint. */
  PATCH: RawMethod<Paths, "patch">;
  /** Calls a TRACE endpoint. */
  TRACE: RawMethod<Paths, "trace">;
  /** Registers openapi-fetch middleware. */
  use(...middleware: Middleware[]): void;
  /** Unregisters openapi-fetch middleware. */
  eject(...middleware: Middleware[]): void;
}

const METHODS = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"] as const;

/**
 * `client.raw` for a vendor: `client` (openapi-fetch, on `http.fetch`) with `error` set whenever
 * a call failed.
 */
export function rawClient<Paths extends {}>(client: Client<Paths>, http: HttpClient): RawClient<Paths> {
  type Result = { data?: unknown; error?: unknown; response: Response };
  const settle = async (pending: Promise<Result>): Promise<Result> => {
    const result = await pending;
    const { error, response } = result;
    if (!response.ok && (typeof error !== "object" || error === null)) {
      // The transport made this response and its error; a middleware's replacement gets one here.
      result.error = errorOfRawResponse(response) ?? apiErrorFor({ vendor: http.vendor, status: response.status, headers: response.headers, body: error });
    }
    return result;
  };
  const call = client as unknown as Record<(typeof METHODS)[number], (url: string, init?: object) => Promise<Result>> & {
    request(method: string, url: string, init?: object): Promise<Result>;
  };
  const raw: Record<string, unknown> = {
    request: (method: string, url: string, init?: object) => settle(call.request(method, url, init)),
    use: (...middleware: Middleware[]) => client.use(...middleware),
    eject: (...middleware: Middleware[]) => client.eject(...middleware),
  };
  for (const method of METHODS) raw[method] = (url: string, init?: object) => settle(call[method](url, init));
  return raw as unknown as RawClient<Paths>;
}
