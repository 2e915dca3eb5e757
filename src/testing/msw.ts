/**
 * msw glue: handlers for the vendors' real hosts. msw is an optional peer dependency of
 * `auditlogs/testing` only, loaded when `sim.handlers` is first read.
 */
import { createRequire } from "node:module";
import type { RequestHandler } from "msw";
import type { VendorId } from "../core/vendor-id.js";
import type { SimulatorCredentials } from "./index.js";

const RESET = Symbol.for("auditlogs.simulator.reset");
const TRUNCATE = Symbol.for("auditlogs.simulator.truncate");

type Handle = (request: Request, body?: string) => Promise<Response>;

export function mswHandlers(handle: Handle, vendors: VendorId[], credentials: SimulatorCredentials): RequestHandler[] {
  const load = createRequire(import.meta.url);
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
  return vendors.map((vendor) =>
    msw.http.all(`${hosts[vendor]}/*`, async ({ request }) => {
      let body: string | undefined;
      if (request.method === "GET" || request.method === "HEAD") {
        body = await readRawBody(request);
      } else {
        body = await request.text();
      }
      const response = await handle(request, body);
      const marks = response as unknown as Record<symbol, boolean>;
      if (marks[RESET]) return msw.HttpResponse.error();
      if (marks[TRUNCATE]) {
        const text = await response.text();
        return new Response(text.slice(0, Math.floor(text.length / 2)), { status: response.status, headers: response.headers });
      }
      return response;
    }),
  );
}

/**
 * A GET body sent over node:http (Datafold) is not in the Fetch Request msw builds; the raw
 * stream is, through @mswjs/interceptors (0.38.5+). Imported, not required, so it is the same
 * module copy (ESM or CJS) as the msw that intercepted the request: the stream hangs off a
 * module-private symbol.
 */
async function readRawBody(request: Request): Promise<string | undefined> {
  let stream: NodeJS.ReadableStream;
  try {
    const { getClientRequestBodyStream } = (await import("@mswjs/interceptors/utils/node")) as {
      getClientRequestBodyStream(request: Request): NodeJS.ReadableStream;
    };
    stream = getClientRequestBodyStream(request);
  } catch {
    return undefined; // not a node:http request (fetch): a GET has no body
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return chunks.length ? Buffer.concat(chunks).toString("utf8") : undefined;
}
