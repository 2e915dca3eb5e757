// DESIGN §14 size and time: `maxResponseBytes` counted after decompression and enforced while
// the body streams, on fetch (Pylon) and on node:http (Datafold's GET with a body); a bigger
// body, a compressed bomb or an endless one is a ResponseValidationError, not retried; a page
// holding more records than asked is refused the same way; `timeoutMs` bounds the body too.
// Loopback servers; the bombs are generated lazily, so a client that stops reading stops them.
import { Readable } from "node:stream";
import zlib from "node:zlib";
import type { ServerResponse } from "node:http";
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, createClient, ResponseValidationError, TimeoutError, type ClientOptions } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { clientOf, closeAll, drain, hostile, json, page, record, RUN } from "./hostile-fixtures.js";
import { OPTIONS } from "./http-fixtures.js";

afterAll(closeAll);

const MiB = 1024 * 1024;

/** `total` bytes of JSON-ish filler, produced as they are read (never held whole). */
function filler(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(sent === n ? Buffer.concat([Buffer.from('{"data":['), chunk.subarray(9, n)]) : chunk.subarray(0, n));
    },
  });
}

/** Sends `total` bytes compressed with `encoding`, compressing only as fast as the client reads. */
function bomb(res: ServerResponse, encoding: "gzip" | "br", total: number, counter: { wire: number }): void {
  res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding, "x-request-id": "bomb-1" });
  const compressor = encoding === "gzip" ? zlib.createGzip({ level: 1 }) : zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } });
  compressor.on("data", (chunk: Buffer) => (counter.wire += chunk.length));
  const source = filler(total);
  res.on("close", () => {
    source.destroy();
    compressor.destroy();
  });
  source.pipe(compressor).pipe(res);
}

describe.each<[string, VendorId]>([
  ["fetch (pylon)", "pylon"],
  ["node:http GET with a body (datafold)", "datafold"],
])("maxResponseBytes over %s", (_name, vendor) => {
  test.each(["gzip", "br"] as const)("a %s bomb stops at the cap, counted after decompression, and is not retried", async (encoding) => {
    const wire = { wire: 0 };
    const server = await hostile((_req, res) => bomb(res, encoding, 256 * MiB, wire));
    const { error } = await drain(clientOf(vendor, server, { maxResponseBytes: MiB, maxRetries: 3 }).events(RUN));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toContain(`maxResponseBytes (${MiB} bytes)`);
    expect((error as ResponseValidationError).requestId).toBe("bomb-1");
    expect(server.requests).toHaveLength(1);
    // The compressed bytes sent stay far below what the whole body would take.
    expect(wire.wire).toBeLessThan(256 * MiB);
  });

  test("an endless body stops at the cap (not a timeout, not retried)", async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      filler(Number.MAX_SAFE_INTEGER).pipe(res);
    });
    const { error } = await drain(clientOf(vendor, server, { maxResponseBytes: MiB, maxRetries: 3 }).events(RUN));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  test("a body just under the cap is read", async () => {
    const server = await hostile((_req, res) => json(res, page(vendor, [record(vendor, 1)])));
    const size = Buffer.byteLength(JSON.stringify(page(vendor, [record(vendor, 1)])));
    const { items, error } = await drain(clientOf(vendor, server, { maxResponseBytes: size }).events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(1);
    const over = await drain(clientOf(vendor, server, { maxResponseBytes: size - 1 }).events(RUN));
    expect(ResponseValidationError.isInstance(over.error)).toBe(true);
  });

  test("a body is decoded as TextDecoder would: a byte-order mark dropped, a character split between chunks joined, a malformed byte U+FFFD", async () => {
    const marked = { ...record(vendor, 1), note: "naïve 日本 \u{1F600}", broken: "X" };
    const bytes = Buffer.from(JSON.stringify(page(vendor, [marked])));
    // The "X" becomes a lone continuation byte: not UTF-8.
    const at = bytes.indexOf('"X"') + 1;
    bytes[at] = 0x80;
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    // Split inside the four bytes of U+1F600, in separate writes.
    const split = body.indexOf(Buffer.from("\u{1F600}")) + 2;
    const server = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
      res.write(body.subarray(0, split));
      setTimeout(() => res.end(body.subarray(split)), 20);
    });
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(1);
    const raw = (items[0] as { raw: { note: string; broken: string } }).raw;
    expect(raw.note).toBe("naïve 日本 \u{1F600}");
    expect(raw.broken).toBe(new TextDecoder().decode(Buffer.from([0x80])));
    expect(raw.broken).toBe("\uFFFD");
  });

  test("a body in many chunks is the text of its bytes decoded whole: a byte-order mark split between chunks, malformed bytes at chunk ends", async () => {
    const marked = { ...record(vendor, 1), note: "naïve 日本 \u{1F600}", broken: "XYZ" };
    const bytes = Buffer.from(JSON.stringify(page(vendor, [marked])));
    // "XYZ" becomes a truncated three-byte sequence and a lone lead byte.
    const at = bytes.indexOf('"XYZ"') + 1;
    bytes.set([0xe6, 0x97, 0xf0], at);
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    const cuts = [1, 2, at + 3, at + 4, at + 5, body.indexOf(Buffer.from("日")) + 1, body.indexOf(Buffer.from("\u{1F600}")) + 3];
    const server = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
      const ends = [...cuts.sort((a, b) => a - b), body.length];
      let from = 0;
      const next = (i: number) => {
        res.write(body.subarray(from, ends[i]));
        from = ends[i]!;
        if (i + 1 < ends.length) setTimeout(() => next(i + 1), 5);
        else res.end();
      };
      next(0);
    });
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(error).toBeUndefined();
    const raw = (items[0] as { raw: { note: string; broken: string } }).raw;
    expect(raw.note).toBe("naïve 日本 \u{1F600}");
    expect(raw.broken).toBe(new TextDecoder().decode(Buffer.from([0xe6, 0x97, 0xf0])));
    expect(raw.broken).toBe("\uFFFD\uFFFD");
  });

  test("a body trickled byte by byte times out within timeoutMs, body included", async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"data":[');
      const timer = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(timer));
    });
    const { error } = await drain(clientOf(vendor, server, { timeoutMs: 200 }).events(RUN));
    expect(TimeoutError.isInstance(error)).toBe(true);
  });
});

describe("records per page bounded by the page size asked", () => {
  test.each<[VendorId, number | undefined, number]>([
    ["pylon", 10, 11],
    ["pylon", undefined, 101],
    ["jitsudo", 5, 6],
    ["zendesk", 20, 21],
    ["cortex", 10, 11],
  ])("%s with pageSize %s answering %s records is a ResponseValidationError", async (vendor, pageSize, count) => {
    const records = Array.from({ length: count }, (_, i) => record(vendor, i));
    const server = await hostile((_req, res) => json(res, page(vendor, records, vendor === "cortex" ? { page: 0, total: count, totalPages: 2 } : undefined), 200, { "x-request-id": "big-1" }));
    const { items, error } = await drain(clientOf(vendor, server).events({ ...RUN, ...(pageSize ? { pageSize } : {}) }));
    expect(items).toHaveLength(0);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toMatch(/more records than the page size/);
    expect((error as ResponseValidationError).requestId).toBe("big-1");
  });
});

test("maxResponseBytes must be a whole number >= 1", () => {
  for (const bad of [0, -1, 1.5, "64MiB"]) {
    let thrown: unknown;
    try {
      createClient({ vendor: "pylon", ...OPTIONS.pylon, maxResponseBytes: bad } as unknown as ClientOptions);
    } catch (error) {
      thrown = error;
    }
    expect(ConfigError.isInstance(thrown)).toBe(true);
    expect((thrown as ConfigError).option).toBe("maxResponseBytes");
  }
});
