import { BUILT_IN_VENDORS, VENDOR_IDS, type VendorId } from "../index.js";

/**
 * The largest page each vendor accepts: its definition's `pageSize.max`, from the registry. The
 * CLI reads in the largest pages by default: fewer requests under rate limits. A vendor without
 * pages (Datafold) has none.
 */
export const MAX_PAGE_SIZE: Partial<Record<VendorId, number>> = Object.fromEntries(
  VENDOR_IDS.flatMap((id) => {
    const pageSize = BUILT_IN_VENDORS[id].definition.pageSize;
    return pageSize ? [[id, pageSize.max]] : [];
  }),
);

/** `pylon 999, zendesk 100, …`: the maxima, for help texts. */
export function pageSizeList(): string {
  return Object.entries(MAX_PAGE_SIZE)
    .map(([id, max]) => `${id} ${max}`)
    .join(", ");
}

/** `text` wrapped for a help column: the first line `first` characters wide, the rest indented by `indent` (100 wide). */
export function wrapHelp(text: string, first: number, indent: number): string {
  const lines: string[] = [];
  let line = "";
  let width = first;
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
      width = 100 - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}
