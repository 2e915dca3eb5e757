/**
 * `pageSize` typed by the vendor's maximum, as far as TypeScript can say it: a number literal the
 * vendor would refuse (over the maximum, below 1, not whole, or any literal for a vendor without
 * pages) is a compile error naming the rule; a `number` computed at run time is checked at run
 * time (`ConfigError`). Literals are compared digit by digit as strings: no recursion over the
 * numbers themselves, so maxima of any size cost nothing.
 */

type Digits<S extends string> = S extends `${string}${infer Rest}` ? [0, ...Digits<Rest>] : [];
type DigitBelow<A extends string, B extends string> = "0123456789" extends `${string}${A}${string}${B}${string}` ? true : false;
/** For digit strings of the same length: A ≤ B. */
type NotAbove<A extends string, B extends string> = A extends `${infer a}${infer restA}`
  ? B extends `${infer b}${infer restB}`
    ? a extends b
      ? NotAbove<restA, restB>
      : DigitBelow<a, b>
    : true
  : true;

/** True when the number literal `N` is a whole number from 1 to `Max`. */
export type WithinPageSize<N extends number, Max extends number> = `${N}` extends `${"-" | "0"}${string}` | `${string}${"." | "e"}${string}`
  ? false
  : Digits<`${Max}`> extends [...Digits<`${N}`>, 0, ...0[]]
    ? true
    : Digits<`${N}`>["length"] extends Digits<`${Max}`>["length"]
      ? NotAbove<`${N}`, `${Max}`>
      : false;

/**
 * The type `pageSize` takes for a vendor whose maximum is `Max` (`never`: no pages), given the
 * value passed, `N`: `N` itself when it is fine or a plain `number`, else `N` and a message.
 */
export type PageSize<N extends number, Max extends number> = number extends N
  ? N
  : [Max] extends [never]
    ? N & { "pageSize: this vendor has no pages (use windowMs)": never }
    : number extends Max
      ? N
      : WithinPageSize<N, Max> extends true
        ? N
        : N & { [K in `pageSize: must be a whole number from 1 to ${Max}`]: never };
