// DESIGN §11 checkpoint stores: `fileCheckpointStore(dir)` keeps one JSON file per key, replaced
// atomically (temp file in the same directory, fsync, rename), maps any key to a safe file name
// inside `dir`, and removes temp files a crashed process left; `memoryCheckpointStore()` keeps
// copies. Both refuse a bad key or a value that is not a JSON object with ConfigError.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from "vitest";
import { ConfigError, fileCheckpointStore, memoryCheckpointStore, type Checkpoint, type CheckpointStore } from "../src/index.js";
import { fileNameOf } from "../src/collect/checkpoint-store.js";
import { writeFileAtomic } from "../src/internal/atomic-file.js";
import { bundle } from "./child-fixtures.js";
import { rejectionOf } from "./http-fixtures.js";

// rename, wrapped so a test can hold a write between its temp file and its rename.
let renameGate: { reached: () => void; released: Promise<void> } | undefined;
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...fs,
    rename: async (from: string, to: string) => {
      const gate = renameGate;
      if (gate) {
        renameGate = undefined;
        gate.reached();
        await gate.released;
      }
      return fs.rename(from, to);
    },
  };
});

/** Holds the next rename until `release()`; `reached` resolves when it is asked for. */
function holdRename(): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  renameGate = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
  return { reached: reachedPromise, release };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "auditlogs-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkpoint(n: number): Checkpoint {
  return {
    version: 1,
    vendor: "pylon",
    scope: "0123456789abcdef",
    since: null,
    until: "2026-01-02T00:00:00.000Z",
    watermark: "2026-01-01T00:00:00.000Z",
    position: { state: `cursor-${n}`, skip: n },
    complete: false,
    seen: {},
  };
}

const stores: Array<[string, () => CheckpointStore]> = [
  ["fileCheckpointStore", () => fileCheckpointStore(dir)],
  ["memoryCheckpointStore", () => memoryCheckpointStore()],
];

describe.each(stores)("%s", (_name, make) => {
  test("load of a key never saved is undefined; save then load returns an equal checkpoint", async () => {
    const store = make();
    expect(await store.load("acme")).toBeUndefined();
    await store.save("acme", checkpoint(1));
    expect(await store.load("acme")).toEqual(checkpoint(1));
  });

  test("keys are independent; a later save replaces the earlier one", async () => {
    const store = make();
    await store.save("a", checkpoint(1));
    await store.save("b", checkpoint(2));
    await store.save("a", checkpoint(3));
    expect(await store.load("a")).toEqual(checkpoint(3));
    expect(await store.load("b")).toEqual(checkpoint(2));
  });

  test("saves not awaited one by one still end with the last call's value", async () => {
    const store = make();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save("k", checkpoint(i))));
    expect(await store.load("k")).toEqual(checkpoint(19));
  });

  test("what is stored is a copy: changing the saved or the loaded object changes nothing stored", async () => {
    const store = make();
    const value = checkpoint(1);
    await store.save("k", value);
    (value.position as { skip: number }).skip = 99;
    const loaded = (await store.load("k"))!;
    expect(loaded.position!.skip).toBe(1);
    loaded.seen.x = "2026-01-01T00:00:00.000Z";
    expect((await store.load("k"))!.seen).toEqual({});
  });

  test.each([
    ["an empty key", "", "key"],
    ["a non-string key", 7, "key"],
  ])("%s is a ConfigError naming key, on load and save", async (_what, key, option) => {
    const store = make();
    for (const call of [() => store.load(key as string), () => store.save(key as string, checkpoint(1))]) {
      const error = await rejectionOf(call());
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as ConfigError).option).toBe(option);
    }
  });

  test("a value that is not a JSON object is a ConfigError naming checkpoint, and nothing is stored", async () => {
    const store = make();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [cyclic, "text", null, { n: 1n }]) {
      const error = await rejectionOf(store.save("k", bad as unknown as Checkpoint));
      expect((error as ConfigError).option).toBe("checkpoint");
    }
    expect(await store.load("k")).toBeUndefined();
  });
});

describe("fileCheckpointStore: files", () => {
  test("one JSON file per key, named after it, readable as the checkpoint; the directory is created on first use", async () => {
    const nested = join(dir, "state", "checkpoints");
    const store = fileCheckpointStore(nested);
    expect(existsSync(nested)).toBe(false);
    await store.save("acme-zendesk", checkpoint(1));
    await store.save("zendesk:acme", checkpoint(2));
    expect((await readdir(nested)).sort()).toEqual(["acme-zendesk.json", "zendesk%3Aacme.json"]);
    expect(JSON.parse(await readFile(join(nested, "acme-zendesk.json"), "utf8"))).toEqual(checkpoint(1));
    // A second store on the same directory (the next run) reads it.
    expect(await fileCheckpointStore(nested).load("zendesk:acme")).toEqual(checkpoint(2));
  });

  test.each([
    ["../x", "%2E.%2Fx.json"],
    ["../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd.json"],
    ["/abs/path", "%2Fabs%2Fpath.json"],
    ["a\\b", "a%5Cb.json"],
    [".", "%2E.json"],
    ["..", "%2E..json"],
    [".hidden", "%2Ehidden.json"],
    ["CON", "%43ON.json"],
    ["nul.txt", "%6Eul.txt.json"],
    ["a%2Fb", "a%252Fb.json"],
    ["zendesk:acme", "zendesk%3Aacme.json"],
    ["ünï", "%C3%BCn%C3%AF.json"],
    ["a\0b", "a%00b.json"],
    ["Acme.Prod_1-x", "Acme.Prod_1-x.json"],
  ])("key %j is the file %s", (key, name) => {
    expect(fileNameOf(key)).toBe(name);
  });

  test("traversal keys stay inside the directory: nothing is written beside or above it", async () => {
    const inner = join(dir, "inner");
    const store = fileCheckpointStore(inner);
    for (const key of ["../x", "../../x", "..", ".", "/tmp/x", "..\\x", "sub/../../x"]) await store.save(key, checkpoint(1));
    expect(await readdir(dir)).toEqual(["inner"]);
    expect(await readdir(inner)).toHaveLength(7);
    expect(await store.load("../x")).toEqual(checkpoint(1));
  });

  test("distinct keys never share a file (the encoding is reversible)", () => {
    const keys = ["a/b", "a%2Fb", "a_b", "a.b", ".a", "%2Ea", "con", "%63on", "a:b", "a%3Ab"];
    expect(new Set(keys.map(fileNameOf)).size).toBe(keys.length);
  });

  test("a key too long for a file name is a ConfigError naming key", async () => {
    const error = await rejectionOf(fileCheckpointStore(dir).save("k".repeat(300), checkpoint(1)));
    expect((error as ConfigError).option).toBe("key");
  });

  test.each([[""], ["  "], [42], [undefined], ["a\0b"]])("dir %j is a ConfigError naming dir", (bad) => {
    expect(() => fileCheckpointStore(bad as string)).toThrow(expect.objectContaining({ option: "dir" }));
  });

  test("a file that is not JSON (edited by hand) fails load with a message naming the file and what to do", async () => {
    await writeFile(join(dir, "k.json"), "{ not json");
    const error = await rejectionOf(fileCheckpointStore(dir).load("k"));
    expect(error.message).toContain(join(dir, "k.json"));
    expect(error.message).toContain("delete it");
  });

  test("a directory that cannot be created (a file is in the way) fails with a message naming it; nothing is half-written", async () => {
    await writeFile(join(dir, "blocker"), "");
    const error = await rejectionOf(fileCheckpointStore(join(dir, "blocker", "sub")).save("k", checkpoint(1)));
    expect(error.message).toContain(join(dir, "blocker", "sub"));
  });

  test("a save leaves no temp file behind, and files are private to the user (0600)", async () => {
    const store = fileCheckpointStore(dir);
    for (let i = 0; i < 5; i++) await store.save("k", checkpoint(i));
    expect(await readdir(dir)).toEqual(["k.json"]);
    if (process.platform !== "win32") {
      const { stat } = await import("node:fs/promises");
      expect((await stat(join(dir, "k.json"))).mode & 0o777).toBe(0o600);
    }
  });

  test("a failed save (the target is a directory) keeps the old content elsewhere, reports the path and leaves no temp", async () => {
    const store = fileCheckpointStore(dir);
    await store.save("good", checkpoint(1));
    await mkdir(join(dir, "bad.json"));
    await writeFile(join(dir, "bad.json", "x"), "");
    const error = await rejectionOf(store.save("bad", checkpoint(2)));
    expect(error.message).toContain("bad.json");
    expect((await readdir(dir)).sort()).toEqual(["bad.json", "good.json"]);
    expect(await store.load("good")).toEqual(checkpoint(1));
  });
});

describe("fileCheckpointStore: crashes", () => {
  test("temp files of a dead process are removed on open; a live process's and unrelated files are kept", async () => {
    // A process that has exited: its pid is free (and not reused this instant).
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    const leftover = `.k.json.${deadPid}.0123456789ab.tmp`;
    const ours = `.k.json.${process.pid}.ba9876543210.tmp`; // our pid, not being written: an earlier life of this pid
    const liveParent = `.k.json.${process.ppid}.aaaaaaaaaaaa.tmp`; // a running process's
    for (const name of [leftover, ours, liveParent, "notes.txt", ".other.tmp"]) await writeFile(join(dir, name), "{");
    await writeFile(join(dir, "k.json"), JSON.stringify(checkpoint(1)));

    const store = fileCheckpointStore(dir);
    expect(await store.load("k")).toEqual(checkpoint(1));
    expect((await readdir(dir)).sort()).toEqual([liveParent, ".other.tmp", "k.json", "notes.txt"].sort());
  });

  test("a running process's temp file older than 15 minutes is a leftover too (pids are reused)", async () => {
    const old = `.k.json.${process.ppid}.cccccccccccc.tmp`;
    await writeFile(join(dir, old), "{");
    const past = new Date(Date.now() - 16 * 60_000);
    await utimes(join(dir, old), past, past);
    await fileCheckpointStore(dir).load("k");
    expect(await readdir(dir)).toEqual([]);
  });

  test("a write in flight in this process is not taken for a leftover by a store opened meanwhile", async () => {
    // The write is held just before its rename (its temp file written), another store opens then.
    const held = holdRename();
    const writing = writeFileAtomic(join(dir, "held.json"), JSON.stringify(checkpoint(1)));
    await held.reached;
    const temps = (await readdir(dir)).filter((name) => name.endsWith(".tmp"));
    expect(temps).toHaveLength(1);
    await fileCheckpointStore(dir).load("other");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual(temps);
    held.release();
    await writing;
    expect(JSON.parse(await readFile(join(dir, "held.json"), "utf8"))).toEqual(checkpoint(1));
    expect(await readdir(dir)).toEqual(["held.json"]);
  });

  test("a process killed (SIGKILL) at any point of a save leaves the old checkpoint or the new one, and the next open removes its temp", async () => {
    // The child saves checkpoint 1, then starts saving checkpoint 2 and is killed by SIGKILL at
    // one step of the write: after the temp is opened, after it is written, after fsync, before
    // the rename, after the rename. Each run is a real crash: no finally block runs.
    const steps = ["open", "write", "sync", "rename-before", "rename-after"] as const;
    const build = await mkdtemp(join(tmpdir(), "auditlogs-child-"));
    onTestFinished(() => rm(build, { recursive: true, force: true }));
    const moduleUrl = bundle("src/internal/atomic-file.ts", join(build, "atomic-file.mjs"));
    for (const step of steps) {
      const target = join(dir, `${step}.json`);
      await writeFile(target, JSON.stringify(checkpoint(1)));
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", killScript(moduleUrl, target, step)], { encoding: "utf8", timeout: 30_000 });
      expect(child.signal, child.stderr).toBe("SIGKILL");
      const after = JSON.parse(await readFile(target, "utf8"));
      expect(after).toEqual(step === "rename-after" ? checkpoint(2) : checkpoint(1));
    }
    const store = fileCheckpointStore(dir);
    await store.load("open");
    expect((await readdir(dir)).sort()).toEqual(steps.map((s) => `${s}.json`).sort());
  }, 60_000);
});

/** A child that replaces `target` with checkpoint 2 and SIGKILLs itself at `step`. */
function killScript(moduleUrl: string, target: string, step: string): string {
  return `
    import fs from "node:fs";
    import { syncBuiltinESMExports } from "node:module";
    const step = ${JSON.stringify(step)};
    const die = () => process.kill(process.pid, "SIGKILL");
    const promises = fs.promises;
    const { open, rename } = promises;
    promises.open = async (...args) => {
      const handle = await open(...args);
      if (String(args[0]).endsWith(".tmp")) {
        if (step === "open") die();
        const { writeFile, sync } = handle;
        handle.writeFile = async (...a) => { await writeFile.apply(handle, a); if (step === "write") die(); };
        handle.sync = async () => { await sync.call(handle); if (step === "sync") die(); };
      }
      return handle;
    };
    promises.rename = async (...args) => {
      if (step === "rename-before") die();
      await rename(...args);
      if (step === "rename-after") die();
    };
    syncBuiltinESMExports();
    const { writeFileAtomic } = await import(${JSON.stringify(moduleUrl)});
    await writeFileAtomic(${JSON.stringify(target)}, JSON.stringify(${JSON.stringify(checkpoint(2))}) + "\\n");
    console.log("not killed");
  `;
}
