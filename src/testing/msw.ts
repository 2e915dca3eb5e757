/**
 * msw glue: one handler per simulated vendor, on the vendor's real host. msw is an optional peer
 * dependency of `auditlogs/testing` only, loaded (with createRequire) when `sim.handlers` is
 * first read, never when the module is imported.
 */
import { createRequire } from "node:module";
import type { RequestHandler } from "msw";
import type { Vendor } from "../core/vendor.js";

type Dispatch = (request: Request, body: string | undefined, only: string) => Promise<Response>;

const load = createRequire(import.meta.url);

export function mswHandlers(dispatch: Dispatch, vendors: readonly Vendor[], credentials: Readonly<Record<string, Record<string, unknown>>>): RequestHandler[] {
  let msw: typeof import("msw");
  try {
    msw = load("msw") as typeof import("msw");
  } catch {
    throw new Error("sim.handlers needs msw (npm install --save-dev msw); sim.listen() needs nothing beyond Node");
  }
  // Each vendor's own host, as its client finds it: the credentials' baseUrl (self-hosted), else the definition's.
  const hostOf = (vendor: Vendor): string => {
    const options = credentials[vendor.id] ?? {};
    const baseUrl = options.baseUrl ?? (typeof vendor.definition.baseUrl === "function" ? vendor.definition.baseUrl(options) : vendor.definition.baseUrl);
    if (typeof baseUrl !== "string") throw new TypeError(`sim.handlers: ${vendor.id} has no host; give its credentials a baseUrl`);
    return new URL(baseUrl).origin;
  };
  // Every path on the host: a wrong path gets the simulator's 404, not msw's "unhandled request".
  return vendors.map((vendor) =>
    msw.http.all(`${hostOf(vendor)}/*`, async ({ request }) => {
      const body = request.method === "GET" || request.method === "HEAD" ? await clientRequestBody(request) : await request.text();
      // A reset is Response.error(), which msw turns into a network error.
      return dispatch(request, body, vendor.id);
    }),
  );
}

/**
 * The body of a GET sent over node:http (Datafold's), which the Fetch Request msw builds leaves
 * out. @mswjs/interceptors (0.38.5+) keeps the raw stream and exports `getClientRequestBodyStream`
 * from its public `utils/node` entry, but the stream hangs off a module-private symbol, so only
 * the copy (ESM or CommonJS) that intercepted the request can read it. Under Node's
 * `module-sync` condition msw is ESM even when required, while a CommonJS build of this file can
 * only require the CommonJS copy; so: the public function through each copy this file can reach,
 * then the symbol itself, found by its description.
 */
async function clientRequestBody(request: Request): Promise<string | undefined> {
  const stream = (await publicBodyStream(request)) ?? ownBodyStream(request);
  if (stream === undefined) return undefined; // not a node:http request (fetch): a GET has no body
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return chunks.length > 0 ? Buffer.concat(chunks).toString("utf8") : undefined;
}

type InterceptorUtils = { getClientRequestBodyStream(request: Request): NodeJS.ReadableStream };

async function publicBodyStream(request: Request): Promise<NodeJS.ReadableStream | undefined> {
  const copies: Array<() => Promise<InterceptorUtils>> = [
    () => import("@mswjs/interceptors/utils/node") as Promise<InterceptorUtils>,
    async () => load("@mswjs/interceptors/utils/node") as InterceptorUtils,
  ];
  for (const copy of copies) {
    try {
      return (await copy()).getClientRequestBodyStream(request);
    } catch {
      // not this copy's request, or no such export (older interceptors)
    }
  }
  return undefined;
}

function ownBodyStream(request: Request): NodeJS.ReadableStream | undefined {
  const key = Object.getOwnPropertySymbols(request).find((symbol) => symbol.description === "kRawRequestBodyStream");
  const stream: unknown = key === undefined ? undefined : Reflect.get(request, key);
  return stream !== null && typeof stream === "object" && Symbol.asyncIterator in stream ? (stream as NodeJS.ReadableStream) : undefined;
}
