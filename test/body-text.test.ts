// A response body read chunk by chunk (`BodyText`, http.ts) is the text of its bytes decoded
// whole, as `TextDecoder` decodes them, wherever the chunks split them.
import { describe, expect, test } from "vitest";
import { BodyText } from "../src/core/http.js";

/** A small seeded generator (mulberry32): the same cases every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textOf(chunks: Uint8Array[]): string {
  const text = new BodyText();
  for (const chunk of chunks) text.add(chunk);
  return text.end();
}

// ASCII, two-, three- and four-byte characters and their parts, a BOM's bytes, bytes that are
// never UTF-8 (0xff, 0xc0), a surrogate's encoding (0xed 0xa0 0x80) and one past U+10FFFF.
const BYTES = [0x41, 0x22, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc0, 0xed, 0xa0, 0xf4, 0x90, 0xbf, 0xef, 0xbb];

describe("BodyText", () => {
  test("no chunk is the empty text; one chunk is its decode, a byte-order mark dropped", () => {
    expect(textOf([])).toBe("");
    expect(textOf([Buffer.from("{}")])).toBe("{}");
    expect(textOf([Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])])).toBe("{}");
    expect(textOf([new Uint8Array([0xc3, 0xa9])])).toBe("é");
  });

  test("a byte-order mark split between chunks is dropped; one that is not first is kept", () => {
    expect(textOf([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf, 0x31])])).toBe("1");
    expect(textOf([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x31])])).toBe("1");
    expect(textOf([Buffer.from("1"), Buffer.from([0xef, 0xbb, 0xbf])])).toBe("1\uFEFF");
  });

  test("any bytes, split anywhere, read as TextDecoder reads them whole (5,000 cases)", () => {
    const next = random(15);
    const decoder = new TextDecoder();
    for (let n = 0; n < 5_000; n++) {
      const length = 1 + Math.floor(next() * 16);
      const bytes = Uint8Array.from({ length }, () => BYTES[Math.floor(next() * BYTES.length)]!);
      const chunks: Uint8Array[] = [];
      for (let from = 0; from < length; ) {
        const to = Math.min(length, from + 1 + Math.floor(next() * 4));
        // Alternately Buffers and plain Uint8Array views (fetch's chunks are the latter).
        chunks.push(chunks.length % 2 === 0 ? Buffer.from(bytes.subarray(from, to)) : bytes.subarray(from, to));
        from = to;
      }
      const want = decoder.decode(bytes);
      const got = textOf(chunks);
      if (got !== want) expect({ bytes: [...bytes], split: chunks.map((c) => c.length), got }).toEqual({ bytes: [...bytes], split: chunks.map((c) => c.length), got: want });
    }
  });
});
