/** The simulator as a real HTTP server on 127.0.0.1: one origin serves all five vendors. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatorCredentials } from "./index.js";

const RESET = Symbol.for("auditlogs.simulator.reset");
const TRUNCATE = Symbol.for("auditlogs.simulator.truncate");

export interface SimulatorServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The credentials, each with `baseUrl` set to this server. */
  credentials: { [V in keyof SimulatorCredentials]: SimulatorCredentials[V] & { baseUrl: string } };
  close(): Promise<void>;
}

type Handle = (request: Request, body?: string) => Promise<Response>;

export async function listen(handle: Handle, credentials: SimulatorCredentials, options: { port?: number } = {}): Promise<SimulatorServer> {
  const server = createServer((req, res) => {
    serve(handle, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "SimulatorError", description: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    credentials: {
      pylon: { ...credentials.pylon, baseUrl: url },
      zendesk: { ...credentials.zendesk, baseUrl: url },
      cortex: { ...credentials.cortex, baseUrl: url },
      datafold: { ...credentials.datafold, baseUrl: url },
      jitsudo: { ...credentials.jitsudo, baseUrl: url },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(handle: Handle, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length ? Buffer.concat(chunks).toString("utf8") : undefined;
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
    else if (value !== undefined) headers.set(key, value);
  }
  const request = new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`), { method: req.method ?? "GET", headers });
  const response = await handle(request, body);
  if ((response as unknown as Record<symbol, boolean>)[RESET]) {
    req.socket.destroy();
    return;
  }
  const payload = Buffer.from(await response.arrayBuffer());
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    outHeaders[key] = value;
  });
  outHeaders["content-length"] = String(payload.length);
  res.writeHead(response.status, outHeaders);
  if ((response as unknown as Record<symbol, boolean>)[TRUNCATE]) {
    // Half the body, then the connection drops: the client sees an incomplete response.
    res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => req.socket.destroy());
    return;
  }
  res.end(payload);
}
