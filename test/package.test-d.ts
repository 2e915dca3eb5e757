// Type-level checks of the package's public surface: what users pass in (loggers) and get back.
import { describe, expectTypeOf, test } from "vitest";
import { createPylonClient, type Logger } from "../src/index.js";

describe("logger", () => {
  test("console and a pino logger are accepted as they are", () => {
    // pino's LogFn (pino 8/9): (obj, msg?, ...args) or (msg, ...args).
    interface PinoLogFn {
      <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
      (obj: unknown, msg?: string, ...args: unknown[]): void;
      (msg: string, ...args: unknown[]): void;
    }
    const pino = {} as { level: string; child(bindings: object): unknown; trace: PinoLogFn; debug: PinoLogFn; info: PinoLogFn; warn: PinoLogFn; error: PinoLogFn; fatal: PinoLogFn };
    createPylonClient({ apiToken: "t", logger: pino });
    createPylonClient({ apiToken: "t", logger: console });
    expectTypeOf(console).toMatchTypeOf<Logger>();
    // @ts-expect-error a logger is an object with methods, not a function
    createPylonClient({ apiToken: "t", logger: (message: string) => void message });
  });
});
