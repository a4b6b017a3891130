/**
 * Which URLs a webhook may call. A webhook makes the service send requests on a
 * tenant's behalf, from inside the operator's network: without rules, anyone
 * with an admin key could reach the cloud metadata service (and its
 * credentials), an admin port on localhost, or a database on the private
 * network, and read the first bytes of the answer in the delivery log.
 *
 * - only `http:` and `https:`, and no credentials in the URL (they would be
 *   stored and shown in clear);
 * - never link-local addresses (169.254.0.0/16, fe80::/10), where the metadata
 *   services live, nor the other metadata addresses, nor unspecified, multicast,
 *   broadcast or reserved ones;
 * - loopback and private addresses (127/8, ::1, 10/8, 172.16/12, 192.168/16,
 *   100.64/10, fc00::/7, `localhost`) only when the host allows them
 *   (`KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1`), as a test or an on-premises
 *   install may.
 *
 * A hostname is checked again at every delivery, against the addresses it
 * resolves to then (the Node host connects to the address it checked), so a
 * name that later resolves to a private address (DNS rebinding) is refused.
 */
import ipaddr from "ipaddr.js";

/** Addresses that are never called, whatever the host allows. */
const METADATA_ADDRESSES = new Set([
  "169.254.169.254", // AWS, GCP, Azure, OpenStack, DigitalOcean
  "169.254.170.2", // AWS ECS task metadata
  "100.100.100.200", // Alibaba Cloud
  "192.0.0.192", // Oracle Cloud
  "fd00:ec2::254", // AWS IPv6
]);

/** Names of metadata services. */
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"]);

const NEVER_RANGES = new Set(["linkLocal", "unspecified", "multicast", "broadcast", "reserved"]);
const PRIVATE_RANGES = new Set(["loopback", "private", "uniqueLocal", "carrierGradeNat"]);

export interface UrlPolicy {
  /** Loopback and private addresses allowed (KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate: boolean;
}

/** Why an address may not be called, or null when it may. */
export function addressRefusal(address: string, policy: UrlPolicy): string | null {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const normal = parsed.toNormalizedString();
  if (METADATA_ADDRESSES.has(normal) || METADATA_ADDRESSES.has(parsed.toString())) return `${address} is a cloud metadata address`;
  const range = parsed.range();
  if (NEVER_RANGES.has(range)) return `${address} is a ${describe(range)} address`;
  if (PRIVATE_RANGES.has(range) && !policy.allowPrivate) {
    return `${address} is a ${describe(range)} address; the server allows those only with KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1`;
  }
  return null;
}

function describe(range: string): string {
  switch (range) {
    case "linkLocal":
      return "link-local";
    case "uniqueLocal":
      return "private (unique local)";
    case "carrierGradeNat":
      return "private (carrier-grade NAT)";
    default:
      return range;
  }
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Why a webhook URL is refused, or null. Checks what the URL itself says: the
 * scheme, credentials, a literal address or a name known to be local or a
 * metadata service. Hostnames are resolved at delivery (see the file's comment).
 */
export function urlRefusal(text: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must use http or https, not ${url.protocol.slice(0, -1)}`;
  if (url.username !== "" || url.password !== "") return "must not carry credentials (user:password@): the URL is stored and shown in clear";
  const host = hostOf(url).toLowerCase();
  if (host === "") return "must name a host";
  if (ipaddr.isValid(host)) return addressRefusal(host, policy);
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (METADATA_NAMES.has(name)) return `${name} is a cloud metadata service`;
  if ((name === "localhost" || name.endsWith(".localhost")) && !policy.allowPrivate) {
    return `${name} is a loopback name; the server allows those only with KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1`;
  }
  return null;
}
