/**
 * ISO 8601 instants for `before`/`after`: an RFC 3339 date-time
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or a `±HH:MM` offset, or a bare
 * date `YYYY-MM-DD` meaning midnight UTC. `T`/`Z` may be lower-case or the `T`
 * a space (RFC 3339 §5.6). A time without an offset is refused: local time
 * would differ between the server and every SDK.
 */

// The offset is required inside the time group: a time alone does not match.
const INSTANT = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(?:[Zz]|([+-])(\d\d):(\d\d)))?$/;

/** 400 Gregorian years are exactly 146,097 days: this many milliseconds. */
const FOUR_CENTURIES = 146_097 * 86_400_000;

/** Milliseconds since the epoch, or NaN when `s` is not an instant of the grammar above. */
export function parseInstant(s: string): number {
  const m = s.length < 64 ? INSTANT.exec(s) : null;
  if (m === null) return NaN;
  const [, y, mo, d, hh = "0", mi = "0", ss = "0", frac = "", sign, oh = "0", om = "0"] = m;
  // The date 400 years later, then shifted back: Date.UTC would read years 0-99 as
  // 19xx, and the shift keeps every leap day in place.
  const day = Date.UTC(+y! + 400, +mo! - 1, +d!);
  // Day 31 of a 30-day month (or month 13) rolls over; a roll-over means an invalid date.
  // `MM-DD` counted from the end of the ISO string: years past 9999 have six digits.
  if (+hh > 23 || +mi > 59 || +ss > 59 || +oh > 23 || +om > 59 || new Date(day).toISOString().slice(-19, -14) !== `${mo}-${d}`) return NaN;
  const offset = (sign === "-" ? -1 : 1) * (+oh * 60 + +om);
  return day - FOUR_CENTURIES + ((+hh * 60 + +mi - offset) * 60 + +ss) * 1000 + +(frac + "00").slice(0, 3);
}
