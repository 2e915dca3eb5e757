// The CLI's small parts, imported directly: flag values, credentials from the environment, and
// the checkpoint file, the output writers and the path checks. The end-to-end behaviour is in cli.test.ts.
import { EventEmitter } from "node:events";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, test } from "vitest";
import { intFlag, numberFlag, parseCommand, timeFlag, UsageError, vendorArg, vendorsFlag, wantsHelp } from "../src/cli/args.js";
import { clientOptionsFromEnv, envConfigError } from "../src/cli/env.js";
import { CheckpointFile } from "../src/cli/checkpoint-file.js";
import { invalidRecordLine } from "../src/cli/invalid.js";
import { stringifyDeep } from "../src/internal/json.js";
import { CannotWriteError, checkWritableFile, FileLines, OutputClosedError, StreamLines } from "../src/cli/output.js";
import { MAX_PAGE_SIZE } from "../src/cli/page-size.js";
import { ConfigError, createClient } from "../src/index.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");

describe("time flags", () => {
  test.each([
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T02:30:00+02:00", "2026-01-01T00:30:00.000Z"],
    ["2026-01-01T00:00:00.123456Z", "2026-01-01T00:00:00.123Z"],
    ["2026-01-01", "2026-01-01T00:00:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["90m", "2026-03-10T10:30:00.000Z"],
    ["24h", "2026-03-09T12:00:00.000Z"],
    ["7d", "2026-03-03T12:00:00.000Z"],
  ])("%s → %s", (input, expected) => {
    expect(timeFlag(input, "--since", NOW)).toBe(expected);
  });

  test.each(["yesterday", "2026-02-30", "2025-02-29", "2026-13-01", "2026-01-01T00:00:00", "2026-01-01T25:00:00Z", "7w", "", "-1d"])("%j is refused naming the flag", (input) => {
    expect(() => timeFlag(input, "--until", NOW)).toThrow(UsageError);
    expect(() => timeFlag(input, "--until", NOW)).toThrow(/^--until must be a date-time/);
  });

  test("absent stays absent", () => {
    expect(timeFlag(undefined, "--since", NOW)).toBeUndefined();
  });
});

describe("number and vendor flags", () => {
  test("whole numbers within bounds", () => {
    expect(intFlag("50", "--page-size", { min: 1, max: 100 })).toBe(50);
    expect(intFlag(undefined, "--page-size", { min: 1 })).toBeUndefined();
    for (const bad of ["0", "101", "1.5", "-2", "1e3", "ten", ""]) {
      expect(() => intFlag(bad, "--page-size", { min: 1, max: 100 })).toThrow(/^--page-size must be a whole number from 1 to 100/);
    }
  });

  test("fractions within bounds", () => {
    expect(numberFlag("0.05", "--fault-rate", { min: 0, max: 1 })).toBe(0.05);
    expect(() => numberFlag("2", "--fault-rate", { min: 0, max: 1 })).toThrow(/^--fault-rate must be a number from 0 to 1/);
  });

  test("vendors", () => {
    expect(vendorArg("Zendesk", "export")).toBe("zendesk");
    expect(() => vendorArg("okta", "export")).toThrow(/unknown vendor "okta"/);
    expect(() => vendorArg(undefined, "export")).toThrow(/missing <vendor>/);
    expect(vendorsFlag("pylon, cortex,pylon", "--vendors")).toEqual(["pylon", "cortex"]);
    expect(() => vendorsFlag(",", "--vendors")).toThrow(/needs at least one/);
  });

  test("a vendor's id misspelt is asked about; one near none is not", () => {
    expect(() => vendorArg("zendsk", "export")).toThrow('unknown vendor "zendsk": did you mean zendesk? (use one of pylon, zendesk, cortex, datafold, jitsudo)');
    expect(() => vendorArg("okta", "export")).toThrow('unknown vendor "okta": use one of pylon, zendesk, cortex, datafold, jitsudo');
    expect(() => vendorsFlag("pylon,jitsdo", "--vendors")).toThrow('--vendors: unknown vendor "jitsdo": did you mean jitsudo? (use pylon, zendesk, cortex, datafold, jitsudo)');
  });

  test("parse errors name the flag and point at --help", () => {
    const options = { out: { type: "string" }, quiet: { type: "boolean", short: "q" } } as const;
    expect(() => parseCommand("export", ["--nope"], options)).toThrow("unknown option --nope (see auditlogs export --help)");
    expect(() => parseCommand("export", ["--out"], options)).toThrow("--out needs a value (see auditlogs export --help)");
    expect(() => parseCommand("export", ["--quiet=yes"], options)).toThrow("--quiet takes no value (see auditlogs export --help)");
    // A typo of an option (case, a letter off, `_` for `-`), with or without its value.
    expect(() => parseCommand("export", ["--otu", "f"], options)).toThrow("unknown option --otu: did you mean --out? (see auditlogs export --help)");
    expect(() => parseCommand("export", ["--Quiet"], options)).toThrow("unknown option --Quiet: did you mean --quiet? (see auditlogs export --help)");
    expect(() => parseCommand("export", ["--qiuet=1"], options)).toThrow("unknown option --qiuet: did you mean --quiet? (see auditlogs export --help)");
    // A short flag is near every other: no guess.
    expect(() => parseCommand("export", ["-x"], options)).toThrow("unknown option -x (see auditlogs export --help)");
    // A flag the command takes elsewhere (an environment variable): what to do instead.
    expect(() => parseCommand("export", ["--base-url", "u"], options, { "base-url": "set X_BASE_URL" })).toThrow("unknown option --base-url: set X_BASE_URL (see auditlogs export --help)");
    expect(wantsHelp(["--nope", "-h"])).toBe(true);
    expect(wantsHelp(["--", "--help"])).toBe(false);
  });
});

describe("credentials from the environment", () => {
  test("each vendor's variables become its factory's options", () => {
    expect(clientOptionsFromEnv("pylon", { PYLON_API_TOKEN: "t" })).toEqual({ vendor: "pylon", apiToken: "t" });
    expect(clientOptionsFromEnv("pylon", { PYLON_API_TOKEN: "t", PYLON_BASE_URL: "http://127.0.0.1:1" })).toEqual({ vendor: "pylon", apiToken: "t", baseUrl: "http://127.0.0.1:1" });
    expect(clientOptionsFromEnv("zendesk", { ZENDESK_SUBDOMAIN: "acme", ZENDESK_EMAIL: "a@b.co", ZENDESK_API_TOKEN: "t" })).toEqual({
      vendor: "zendesk",
      subdomain: "acme",
      auth: { email: "a@b.co", apiToken: "t" },
    });
    expect(clientOptionsFromEnv("zendesk", { ZENDESK_SUBDOMAIN: "acme", ZENDESK_OAUTH_TOKEN: "o" })).toEqual({ vendor: "zendesk", subdomain: "acme", auth: { oauthToken: "o" } });
    expect(clientOptionsFromEnv("cortex", { CORTEX_API_TOKEN: "t" })).toEqual({ vendor: "cortex", apiToken: "t" });
    expect(clientOptionsFromEnv("datafold", { DATAFOLD_API_KEY: "k", DATAFOLD_BASE_URL: "https://eu.datafold.com" })).toEqual({ vendor: "datafold", apiKey: "k", baseUrl: "https://eu.datafold.com" });
    expect(clientOptionsFromEnv("jitsudo", { JITSUDO_BASE_URL: "https://j.example.com", JITSUDO_API_KEY: "k", JITSUDO_TENANT_ID: "t" })).toEqual({
      vendor: "jitsudo",
      baseUrl: "https://j.example.com",
      apiKey: "k",
      tenantId: "t",
    });
  });

  test.each([
    ["pylon", {}, /missing environment variable PYLON_API_TOKEN/],
    ["pylon", { PYLON_API_TOKEN: "" }, /missing environment variable PYLON_API_TOKEN/],
    ["zendesk", { ZENDESK_EMAIL: "a@b.co", ZENDESK_API_TOKEN: "t" }, /missing environment variable ZENDESK_SUBDOMAIN/],
    ["zendesk", { ZENDESK_SUBDOMAIN: "acme" }, /^missing environment variables \{ ZENDESK_EMAIL, ZENDESK_API_TOKEN \} or \{ ZENDESK_OAUTH_TOKEN \}$/],
    ["zendesk", { ZENDESK_SUBDOMAIN: "acme", ZENDESK_API_TOKEN: "t" }, /missing environment variable ZENDESK_EMAIL/],
    ["zendesk", { ZENDESK_SUBDOMAIN: "acme", ZENDESK_EMAIL: "a@b.co", ZENDESK_OAUTH_TOKEN: "o" }, /not both/],
    ["jitsudo", { JITSUDO_API_KEY: "k", JITSUDO_TENANT_ID: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" }, /missing environment variable JITSUDO_BASE_URL/],
    ["jitsudo", { JITSUDO_BASE_URL: "https://j.example.com", JITSUDO_API_KEY: "k", JITSUDO_TENANT_ID: "t" }, /^environment variable JITSUDO_TENANT_ID: must be a uuid/],
  ] as const)("%s with %j: %s", (vendor, env, message) => {
    // As the CLI builds its client: the library checks the options, the error names the variables.
    const build = () => {
      try {
        createClient(clientOptionsFromEnv(vendor, env));
      } catch (error) {
        throw envConfigError(vendor, error);
      }
    };
    expect(build).toThrow(UsageError);
    expect(build).toThrow(message);
  });

  test("a library ConfigError about an option names the variable, without its value", () => {
    let error: unknown;
    try {
      createClient({ vendor: "pylon", apiToken: "has space-s3cr3t" });
    } catch (e) {
      error = envConfigError("pylon", e);
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^environment variable PYLON_API_TOKEN: /);
    expect((error as Error).message).not.toContain("s3cr3t");
    const other = new ConfigError("is odd", "maxRetries");
    expect(envConfigError("pylon", other)).toBe(other);
  });

  test("a missing variable beside a set one of the vendor's prefix that nothing reads names it, never its value", () => {
    const missing = (vendor: "pylon" | "zendesk", env: Record<string, string>) => {
      try {
        createClient(clientOptionsFromEnv(vendor, env));
      } catch (error) {
        return (envConfigError(vendor, error, env) as Error).message;
      }
      throw new Error("built");
    };
    expect(missing("pylon", { PYLON_TOKEN: "tok-s3cr3t", ZENDESK_TOKEN: "z" })).toBe(
      "missing environment variable PYLON_API_TOKEN (set but not read: PYLON_TOKEN; the variables are PYLON_API_TOKEN, PYLON_BASE_URL)",
    );
    expect(missing("pylon", { PYLON_TOKEN: "tok-s3cr3t" })).not.toContain("s3cr3t");
    // Nothing of the vendor's prefix set: the message as before; an empty variable is not set.
    expect(missing("pylon", { OTHER_TOKEN: "x", PYLON_TOKEN: "" })).toBe("missing environment variable PYLON_API_TOKEN");
    expect(missing("zendesk", { ZENDESK_SUBDOMAIN: "acme", ZENDESK_TOKEN: "t" })).toMatch(/^missing environment variables \{ ZENDESK_EMAIL, ZENDESK_API_TOKEN \} or \{ ZENDESK_OAUTH_TOKEN \} \(set but not read: ZENDESK_TOKEN; /);
  });
});

describe("checkpoint file", () => {
  const dir = mkdtempSync(join(tmpdir(), "auditlogs-cli-units-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("saves replace the file whole, leave no temp file, and load back with the output record beside the checkpoint", async () => {
    const path = join(dir, "state.json");
    const file = new CheckpointFile(path);
    expect(await file.load()).toBeUndefined();
    await Promise.all([file.save({ checkpoint: { n: 1 } }), file.save({ checkpoint: { n: 2 } }), file.save({ checkpoint: { n: 3 }, out: { file: "1:2", bytes: 40, tail: "ab" } })]);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ n: 3, out: { file: "1:2", bytes: 40, tail: "ab" } });
    expect(await new CheckpointFile(path).load()).toEqual({ checkpoint: { n: 3 }, out: { file: "1:2", bytes: 40, tail: "ab" } });
    expect(file.saves).toBe(3);
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  test("loading removes the temp files a killed run left beside it, and only those", async () => {
    const sub = mkdtempSync(join(dir, "leftovers-"));
    const path = join(sub, "state.json");
    writeFileSync(path, JSON.stringify({ n: 1 }));
    // The atomic writer's temp of a process that is gone, an older CLI's per-pid temp, and files that are not temps of ours.
    for (const name of [".state.json.999999999.0123456789ab.tmp", ".state.json.4242.tmp", ".other.json.tmp", "state.json.bak"]) writeFileSync(join(sub, name), "{");
    expect(await new CheckpointFile(path).load()).toEqual({ checkpoint: { n: 1 }, out: undefined });
    expect(readdirSync(sub).sort()).toEqual([".other.json.tmp", "state.json", "state.json.bak"]);
  });

  test("a file that is not JSON, or whose output record is not this command's, is a usage error naming the flag", async () => {
    const path = join(dir, "broken.json");
    writeFileSync(path, "{");
    await expect(new CheckpointFile(path).load()).rejects.toThrow(/^--checkpoint .*broken\.json: not valid JSON/);
    writeFileSync(path, JSON.stringify({ version: 1, out: { file: "1:2", bytes: -1 } }));
    await expect(new CheckpointFile(path).load()).rejects.toThrow(UsageError);
  });
});

describe("paths are checked before anything is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "auditlogs-cli-paths-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ["a directory that does not exist", () => join(dir, "missing", "x.ndjson"), /^--out .*missing.x\.ndjson: cannot write it: directory .*missing does not exist$/],
    ["a directory given as the file", () => dir, /^--out .*: cannot write it: it is a directory/],
    ["a file used as a directory", () => join(dir, "plain.txt", "x.ndjson"), /^--out .*plain\.txt.x\.ndjson: cannot write it: a part of its path is a file/],
  ])("%s: CannotWriteError naming the flag and the path", async (_name, path, message) => {
    writeFileSync(join(dir, "plain.txt"), "x");
    const error = await checkWritableFile(path(), "--out").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CannotWriteError);
    expect((error as Error).message).toMatch(message);
  });

  test("a new file in an existing directory, or an existing file, passes and nothing is created", async () => {
    await checkWritableFile(join(dir, "new.ndjson"), "--out");
    await checkWritableFile(join(dir, "new.json"), "--checkpoint", { replaced: true });
    writeFileSync(join(dir, "old.ndjson"), "kept\n");
    await checkWritableFile(join(dir, "old.ndjson"), "--out");
    expect(readdirSync(dir).filter((name) => name.startsWith("new"))).toEqual([]);
    expect(readFileSync(join(dir, "old.ndjson"), "utf8")).toBe("kept\n");
  });
});

describe("file output", () => {
  const dir = mkdtempSync(join(tmpdir(), "auditlogs-cli-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("opens its file lazily, then overwrites or appends, and counts the bytes it holds", async () => {
    const path = join(dir, "out.ndjson");
    writeFileSync(path, "old\n");
    const overwrite = new FileLines(path);
    expect(readFileSync(path, "utf8")).toBe("old\n");
    await overwrite.writeLines(["a", "b"]);
    await overwrite.writeLines([]);
    await overwrite.close();
    expect(readFileSync(path, "utf8")).toBe("a\nb\n");
    const append = new FileLines(path, { append: true });
    await append.writeLines(["c"]);
    expect(append.record?.bytes).toBe(6);
    await append.close();
    expect(readFileSync(path, "utf8")).toBe("a\nb\nc\n");
    expect(append.lines).toBe(1);
  });

  test("reopened with the record of the same file, a longer file is cut back to the committed length (a killed run's torn tail)", async () => {
    const path = join(dir, "torn.ndjson");
    const first = new FileLines(path, { append: true });
    await first.writeLines(['{"id":1}', '{"id":2}']);
    const committed = first.record!;
    await first.writeLines(['{"id":3}']);
    await first.close();
    appendFileSync(path, '{"id":4,"half');
    const rerun = new FileLines(path, { append: true });
    expect(await rerun.open(committed)).toEqual(committed);
    expect(rerun.cutBytes).toBe(9 + 13);
    await rerun.writeLines(['{"id":3}']);
    await rerun.close();
    expect(readFileSync(path, "utf8")).toBe('{"id":1}\n{"id":2}\n{"id":3}\n');
  });

  test("another file at that path (rotated, replaced), or a shorter one, is appended to as it is", async () => {
    const path = join(dir, "rotated.ndjson");
    const first = new FileLines(path, { append: true });
    await first.writeLines(["a", "b", "c"]);
    const record = first.record!;
    await first.close();
    rmSync(path);
    writeFileSync(path, "someone else's line that is long\n");
    const other = new FileLines(path, { append: true });
    const opened = await other.open(record);
    await other.close();
    expect(opened.bytes).toBe(33);
    expect(readFileSync(path, "utf8")).toBe("someone else's line that is long\n");
    const same = new FileLines(path, { append: true });
    const now = await same.open();
    await same.close();
    const shorter = new FileLines(path, { append: true });
    expect((await shorter.open({ ...now, bytes: now.bytes + 100 })).bytes).toBe(now.bytes);
    await shorter.close();
    expect(readFileSync(path, "utf8")).toBe("someone else's line that is long\n");
  });
});

describe("invalid records", () => {
  test("a line says why and holds the record as received, however deeply it nests", () => {
    const error = { name: "ResponseValidationError", path: "records[2].created_at", requestId: "req_1", detail: "is not a time" };
    const record = JSON.parse('{"id":"r1","__proto__":{"x":1},"list":[1,"two",null,{"a":true}]}');
    const line = JSON.parse(invalidRecordLine("jitsudo", record, error));
    expect(line).toEqual({ vendor: "jitsudo", error: { name: "ResponseValidationError", path: "records[2].created_at", message: "is not a time", requestId: "req_1" }, record });
    expect(Object.keys(line.record)).toContain("__proto__");
    // 20,000 levels of objects and arrays, as a hostile server would send them: JSON.parse takes
    // it, JSON.stringify overflows the stack, stringifyDeep writes the same text back.
    const open: string[] = [];
    const close: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      open.push(i % 2 ? '{"next":' : '["a\\"b",');
      close.unshift(i % 2 ? "}" : `,${i}]`);
    }
    const text = `${open.join("")}{"end":[1,{"s":"x"}],"e":{},"f":[]}${close.join("")}`;
    const deep: unknown = JSON.parse(text);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(stringifyDeep(deep)).toBe(text);
    const shallow = { a: [1, { b: "c", d: [null, true] }], e: {}, f: [] };
    expect(stringifyDeep(shallow)).toBe(JSON.stringify(shallow));
  });

  test("past the stack's depth it writes what JSON.stringify would: toJSON, undefined and functions as JSON.stringify treats them", () => {
    const leaf = { at: new Date(0), gone: undefined, fn: () => 1, list: [undefined, () => 1, Symbol("s"), 1], "quo\"te": "\u2028" };
    let deep: unknown = leaf;
    for (let i = 0; i < 20_000; i++) deep = { next: deep, skipped: undefined };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = stringifyDeep(deep);
    expect(text.startsWith('{"next":'.repeat(20_000))).toBe(true);
    expect(text.slice(20_000 * 8, -20_000)).toBe(JSON.stringify(leaf));
    expect(stringifyDeep(undefined)).toBe("null");
  });
});

describe("stream output", () => {
  /** A stream shaped like stdout whose write callback runs before write() returns, as Bun's does. */
  function synchronousStream(options: { fail?: NodeJS.ErrnoException } = {}) {
    const chunks: string[] = [];
    const stream = Object.assign(new EventEmitter(), {
      destroyed: false,
      writableEnded: false,
      write(chunk: string, callback?: (error?: Error | null) => void): boolean {
        chunks.push(chunk);
        callback?.(options.fail ?? null);
        return true;
      },
    });
    return { stream: stream as unknown as Writable, chunks };
  }

  test("a write callback called synchronously (Bun) writes the lines and resolves", async () => {
    const { stream, chunks } = synchronousStream();
    const lines = new StreamLines(stream);
    await lines.writeLines(["a", "b"]);
    await lines.writeLines(["c"]);
    expect(chunks).toEqual(["a\nb\n", "c\n"]);
    expect(lines.lines).toBe(3);
  });

  test("EPIPE from the reader is OutputClosedError; any other failure names the target", async () => {
    const epipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    await expect(new StreamLines(synchronousStream({ fail: epipe }).stream).writeLines(["a"])).rejects.toBeInstanceOf(OutputClosedError);
    const full = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    await expect(new StreamLines(synchronousStream({ fail: full }).stream).writeLines(["a"])).rejects.toThrow(/^cannot write stdout: ENOSPC/);
  });

  test("a stream destroyed while a write waits ends the write instead of hanging", async () => {
    const stream = new Writable({ highWaterMark: 1, write: () => undefined /* never calls back */ });
    const lines = new StreamLines(stream, "the pipe");
    const pending = lines.writeLines(["a"]);
    stream.destroy(Object.assign(new Error("broken"), { code: "EIO" }));
    await expect(pending).rejects.toThrow(/cannot write the pipe/);
  });
});

describe("the CLI's page-size maxima are the library's", () => {
  const credentials = {
    pylon: { apiToken: "t" },
    zendesk: { subdomain: "acme", auth: { email: "a@acme.test", apiToken: "t" } },
    cortex: { apiToken: "t" },
    datafold: { apiKey: "k" },
    jitsudo: { apiKey: "k", tenantId: "2b6f0cc9-1a4e-4d59-9a8e-7f8d1c2b3a4d", baseUrl: "https://jitsudo.acme.test" },
  } as const;

  test.each(Object.keys(credentials) as Array<keyof typeof credentials>)("%s", (vendor) => {
    const client = createClient({ vendor, ...credentials[vendor] } as Parameters<typeof createClient>[0]);
    const max = MAX_PAGE_SIZE[vendor];
    if (max === undefined) {
      // No pages: the library refuses any page size, the CLI refuses the flag.
      // (a computed number: a literal page size is a compile error for a client that may be Datafold)
      expect(() => client.events({ pageSize: 1 as number })).toThrow(ConfigError);
      return;
    }
    expect(() => client.events({ pageSize: max })).not.toThrow();
    expect(() => client.events({ pageSize: max + 1 })).toThrow(expect.objectContaining({ option: "pageSize" }));
  });
});
