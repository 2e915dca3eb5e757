/**
 * node:http glue: the simulator as a real HTTP server on 127.0.0.1. One origin serves all five
 * vendors, whose paths are distinct. Needs nothing beyond Node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isConnectionReset, truncatedLength } from "./faults.js";
import type { SimulatorCredentials } from "./index.js";

/** The simulator as a real HTTP server on 127.0.0.1, from `sim.listen()`. */
export interface SimulatorServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The credentials, each with `baseUrl` set to this server (a vendor of `fakes` by its id too). */
  credentials: { [V in keyof SimulatorCredentials]: SimulatorCredentials[V] & { baseUrl: string } } & Record<string, Record<string, unknown> & { baseUrl: string }>;
  /** Stops the server and closes its open connections. */
  close(): Promise<void>;
}

/** The simulator's dispatcher: a request (and the body a GET cannot carry) to the vendor's answer. */
type Handle = (request: Request, body: string | undefined) => Promise<Response>;

export async function listen(handle: Handle, credentials: SimulatorCredentials, options: { port?: number } = {}): Promise<SimulatorServer> {
  const server = await serveFake(handle, options);
  const url = server.url;
  return {
    url,
    credentials: Object.fromEntries(Object.entries(credentials).map(([vendor, options]) => [vendor, { ...options, baseUrl: url }])) as SimulatorServer["credentials"],
    close: server.close,
  };
}

/**
 * A fake of a vendor's API, as the simulator and `vendorContract` serve it: a WHATWG Request
 * (and the body text, which a Request cannot carry on a GET) to the Response the vendor would
 * send. `Response.error()` drops the connection.
 */
export type Fake = (request: Request, body: string | undefined) => Response | Promise<Response>;

/** `fake` as a real HTTP server on 127.0.0.1 (random port by default): `{ url, close() }`. */
export async function serveFake(fake: Fake, options: { port?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    serve(fake, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "SimulatorError", message: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(handle: Fake, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length > 0 ? Buffer.concat(chunks).toString("utf8") : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const request = new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`), { method: req.method ?? "GET", headers });
  const response = await handle(request, body);
  if (isConnectionReset(response)) {
    req.socket.destroy();
    return;
  }
  const payload = Buffer.from(await response.arrayBuffer());
  const fullLength = truncatedLength(response);
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  outHeaders["content-length"] = String(fullLength ?? payload.length);
  res.writeHead(response.status, outHeaders);
  if (fullLength !== undefined) {
    // A truncated body: the announced length, half of it sent, then the connection drops.
    res.write(payload, () => req.socket.destroy());
    return;
  }
  res.end(payload);
}
