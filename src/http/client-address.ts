import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** The client key when the connection's address cannot be known (no Bun server behind the request, a Unix socket). */
export const UNKNOWN_CLIENT = "unknown";

/**
 * The address a request came from: the TCP peer, as Bun.serve reports it. Only when the daemon sits
 * behind a proxy it trusts (`trustProxy`) is X-Forwarded-For read, and then its last entry: the one
 * that proxy appended. Earlier entries are whatever the client sent, so they could be forged to dodge
 * a per-client limit.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    // Needs the Bun server as the fetch handler's second argument: Bun.serve({fetch: app.fetch}) passes it.
    return getConnInfo(c).remote.address ?? UNKNOWN_CLIENT;
  } catch {
    return UNKNOWN_CLIENT;
  }
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): string[] | undefined {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  return groups.every((group) => /^[0-9a-f]{1,4}$/.test(group)) ? groups.map((group) => group.replace(/^0+(?=.)/, "")) : undefined;
}

/**
 * Whom a per-client limit counts: an IPv4 address as it is (an IPv4-mapped IPv6 address as its IPv4
 * part), an IPv6 address by its /64, since one subscriber usually holds a whole /64 and could
 * otherwise take a fresh address for every try.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const groups = ipv6Groups(address.replace(/%.*$/, ""));
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : address;
}
