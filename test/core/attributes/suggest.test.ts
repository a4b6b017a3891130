import { expect, it } from "vitest";
import { closestName } from "../../../src/core/attributes/suggest.js";

it("suggests the nearest name within two edits, the first in order on a tie, and nothing further away", () => {
  const names = ["nationality", "region", "employer", "key"];
  expect(closestName("nationalty", names)).toBe("nationality");
  expect(closestName("Nationality", names)).toBe("nationality");
  expect(closestName("regoin", names)).toBe("region");
  expect(closestName("ky", names)).toBe("key");
  expect(closestName("nation", names)).toBeUndefined();
  expect(closestName("ab", ["ax", "ay"])).toBe("ax");
});
