/**
 * ISO 8601 instants for `before`/`after`: an RFC 3339 date-time
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or a `±HH:MM` offset, or a bare
 * date `YYYY-MM-DD` meaning midnight UTC. `T`/`Z` may be lower-case or the `T`
 * a space (RFC 3339 §5.6). A time without an offset is refused: local time
 * would differ between the server and every SDK.
 */

// The offset is required inside the time group: a time alone does not match.
const INSTANT = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(?:[Zz]|([+-])(\d\d):(\d\d)))?$/;

/** Milliseconds since the epoch, or NaN when `s` is not an instant of the grammar above. */
export function parseInstant(s: string): number {
  const m = s.length < 64 ? INSTANT.exec(s) : null;
  if (m === null) return NaN;
  const [, y, mo, d, hh = "0", mi = "0", ss = "0", frac = "", sign, oh = "0", om = "0"] = m;
  if (+hh > 23 || +mi > 59 || +ss > 59 || +oh > 23 || +om > 59) return NaN;
  // setUTCFullYear takes years 0-99 literally (Date.UTC would read them as 19xx).
  const date = new Date(0);
  date.setUTCFullYear(+y!, +mo! - 1, +d!);
  // Day 31 of a 30-day month (or month 13) rolls over; a roll-over means an invalid date.
  if (date.getUTCMonth() !== +mo! - 1 || date.getUTCDate() !== +d!) return NaN;
  const offset = (sign === "-" ? -1 : 1) * (+oh * 60 + +om);
  return date.getTime() + ((+hh * 60 + +mi - offset) * 60 + +ss) * 1000 + +frac.slice(0, 3).padEnd(3, "0");
}
