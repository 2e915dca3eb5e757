/**
 * msw glue: one handler per simulated vendor, on the vendor's real host. msw is an optional peer
 * dependency of `auditlogs/testing` only, loaded (with createRequire) when `sim.handlers` is
 * first read, never when the module is imported.
 */
import { createRequire } from "node:module";
import type { RequestHandler } from "msw";
import type { VendorId } from "../core/vendor-id.js";
import type { SimulatorCredentials } from "./index.js";

type Dispatch = (request: Request, body: string | undefined, only: VendorId) => Promise<Response>;

const load = createRequire(import.meta.url);

export function mswHandlers(dispatch: Dispatch, vendors: readonly VendorId[], credentials: SimulatorCredentials): RequestHandler[] {
  let msw: typeof import("msw");
  try {
    msw = load("msw") as typeof import("msw");
  } catch {
    throw new Error("sim.handlers needs msw (npm install --save-dev msw); sim.listen() needs nothing beyond Node");
  }
  const hosts: Record<VendorId, string> = {
    pylon: "https://api.usepylon.com",
    zendesk: `https://${credentials.zendesk.subdomain}.zendesk.com`,
    cortex: "https://api.getcortexapp.com",
    datafold: "https://app.datafold.com",
    jitsudo: credentials.jitsudo.baseUrl,
  };
  // Every path on the host: a wrong path gets the simulator's 404, not msw's "unhandled request".
  return vendors.map((vendor) =>
    msw.http.all(`${hosts[vendor]}/*`, async ({ request }) => {
      const body = request.method === "GET" || request.method === "HEAD" ? await clientRequestBody(request) : await request.text();
      // A reset is Response.error(), which msw turns into a network error.
      return dispatch(request, body, vendor);
    }),
  );
}

/**
 * The body of a GET sent over node:http (Datafold's), which the Fetch Request msw builds leaves
 * out. @mswjs/interceptors (0.38.5+) keeps the raw stream and exports `getClientRequestBodyStream`
 * from its public `utils/node` entry. The stream hangs off a module-private symbol, so it must be
 * read through the copy (ESM or CommonJS) that intercepted the request: try both.
 */
async function clientRequestBody(request: Request): Promise<string | undefined> {
  type Utils = { getClientRequestBodyStream(request: Request): NodeJS.ReadableStream };
  const copies: Array<() => Promise<Utils>> = [
    () => import("@mswjs/interceptors/utils/node") as Promise<Utils>,
    async () => load("@mswjs/interceptors/utils/node") as Utils,
  ];
  for (const copy of copies) {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await copy()).getClientRequestBodyStream(request);
    } catch {
      continue; // not this copy's request, not a node:http request (fetch: a GET has no body), or no such export
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return chunks.length > 0 ? Buffer.concat(chunks).toString("utf8") : undefined;
  }
  return undefined;
}
