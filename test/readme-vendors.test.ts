// The README's vendor facts table is rendered from the registry of built-in definitions, and its
// "Add your own vendor" example is examples/custom-vendor/acme.ts, word for word: this suite
// checks both. Regenerate after a deliberate change: UPDATE_README=1 npx vitest run test/readme-vendors
import { readFileSync, writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import type { Vendor } from "../src/core/vendor.js";
import { BUILT_IN_VENDORS, VENDOR_IDS } from "../src/vendors/registry.js";

const README = new URL("../README.md", import.meta.url);
const factory = (id: string) => `create${id[0]!.toUpperCase()}${id.slice(1)}Client`;

function host(vendor: Vendor): string {
  const baseUrl = vendor.definition.baseUrl;
  if (baseUrl === undefined) return "none: `baseUrl` is required";
  if (typeof baseUrl === "string") return `\`${baseUrl}\``;
  return "from the options";
}

function pagination(vendor: Vendor): string {
  const p = vendor.definition.pagination;
  const kind = p.kind ?? "custom";
  return [kind, p.parallel ? "pages known ahead fetched in parallel" : undefined, p.timeSlices ? "filters by time (slices)" : undefined].filter(Boolean).join("; ");
}

/** The vendor facts table, one row per built-in vendor, from its definition. */
export function renderVendorTable(): string {
  const rows = VENDOR_IDS.map((id) => {
    const vendor = BUILT_IN_VENDORS[id] as Vendor;
    const d = vendor.definition;
    const secrets = (d.secrets ?? []).map((s) => `\`${s.replace(/\?$/, "")}\``).join(", ");
    return `| ${d.name ?? id} | \`${id}\` | \`${factory(id)}\` (\`auditlogs/${id}\`) | ${host(vendor)} | ${secrets} | ${d.pageSize ? `≤ ${d.pageSize.max}` : "no pages"} | ${pagination(vendor)} | ${d.requestsPerMinute ? `${d.requestsPerMinute}/min` : "none documented"} |`;
  });
  return [
    "<!-- vendor-facts: generated from src/vendors/registry.ts by test/readme-vendors.test.ts -->",
    "| vendor | id | factory (subpath) | default host | secrets | page size | pagination | client-side rate limit |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "<!-- /vendor-facts -->",
  ].join("\n");
}

const TABLE = /<!-- vendor-facts:[^\n]*-->\n[\s\S]*?<!-- \/vendor-facts -->/;
const EXAMPLE = /(<!-- example: examples\/custom-vendor\/acme\.ts -->\n```ts\n)[\s\S]*?(```)/;

test("README's vendor facts table is the registry's", () => {
  const readme = readFileSync(README, "utf8");
  if (process.env.UPDATE_README) writeFileSync(README, readme.replace(TABLE, renderVendorTable()));
  expect(readFileSync(README, "utf8").match(TABLE)?.[0]).toBe(renderVendorTable());
});

test("README's custom vendor example is examples/custom-vendor/acme.ts", () => {
  const source = readFileSync(new URL("../examples/custom-vendor/acme.ts", import.meta.url), "utf8");
  const readme = readFileSync(README, "utf8");
  if (process.env.UPDATE_README) writeFileSync(README, readme.replace(EXAMPLE, (_m, open: string, close: string) => `${open}${source}${close}`));
  const match = readFileSync(README, "utf8").match(EXAMPLE);
  expect(match?.[0]).toBe(`<!-- example: examples/custom-vendor/acme.ts -->\n\`\`\`ts\n${source}\`\`\``);
});
