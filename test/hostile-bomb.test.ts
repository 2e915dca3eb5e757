// DESIGN §14: a 2 KB brotli (or gzip) body that expands to 3 GiB used to abort the Node process
// (`Check failed: i::kMaxInt >= len`). It runs here in a child process with the default
// maxResponseBytes (64 MiB): the child stays up, the run fails with ResponseValidationError, and
// its peak RSS stays near the cap. The bomb is compressed as the child reads it, so a child that
// stops at the cap stops the server too.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeAll, hostile } from "./hostile-fixtures.js";

const GiB = 1024 ** 3;
let dir: string;
let child: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "auditlogs-hostile-"));
  child = join(dir, "child.mjs");
  await build({ entryPoints: [join(import.meta.dirname, "hostile-child.ts")], bundle: true, platform: "node", format: "esm", outfile: child, logLevel: "silent" });
});

afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Zeros to `total` bytes, made as they are read. */
function zeros(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(chunk.subarray(0, n));
    },
  });
}

function runChild(origin: string, vendor: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [child, origin, vendor], { timeout: 120_000, maxBuffer: 1024 * 1024 }, (error, out, err) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out, err }),
    );
  });
}

describe.each([
  ["brotli", "br", "pylon"],
  ["gzip", "gzip", "datafold"],
] as const)("a 3 GiB %s bomb", (_name, encoding, vendor) => {
  test(`(${vendor}) fails with ResponseValidationError at 64 MiB; the process stays up and its RSS bounded`, async () => {
    let wire = 0;
    const server = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      const compress = encoding === "br" ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }) : zlib.createGzip({ level: 1 });
      const source = zeros(3 * GiB);
      compress.on("data", (chunk: Buffer) => (wire += chunk.length));
      res.on("close", () => {
        source.destroy();
        compress.destroy();
      });
      source.pipe(compress).pipe(res);
    });
    const { code, out, err } = await runChild(server.origin, vendor);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const result = JSON.parse(out) as { events: number; error?: { name: string; message: string }; maxRssMiB: number };
    expect(result.error?.name).toBe("ResponseValidationError");
    expect(result.error?.message).toContain("maxResponseBytes (67108864 bytes)");
    // 3 GiB would not fit; near the cap is a few times 64 MiB with the runtime itself.
    expect(result.maxRssMiB).toBeLessThan(512);
    expect(wire).toBeLessThan(64 * 1024 * 1024);
  });
});
