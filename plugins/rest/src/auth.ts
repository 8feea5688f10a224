// The request headers for the `auth` option: none, bearer (the account's password is the token) or
// basic (the account's username and password). The credentials go into headers only: never into a
// log line or a message.

import { Account } from "../../sdk/index";

export class AuthHeaders {
  headers: Map<string, string> = new Map<string, string>();
  /** An options problem ("" when none). */
  problem: string = "";
}

export function authHeaders(account: Account, auth: string): AuthHeaders {
  const result = new AuthHeaders();
  result.headers.set("Accept", "application/json");
  if (auth == "bearer") {
    if (account.password.length == 0) result.problem = "auth = bearer needs the token as the account's password";
    else result.headers.set("Authorization", "Bearer " + account.password);
  } else if (auth == "basic") {
    if (account.username.length == 0) result.problem = "auth = basic needs the account's username and password";
    else result.headers.set("Authorization", "Basic " + base64(Uint8Array.wrap(String.UTF8.encode(account.username + ":" + account.password))));
  }
  return result;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding (RFC 4648), as HTTP basic auth wants it (RFC 7617). */
export function base64(bytes: Uint8Array): string {
  const out = new Array<string>();
  for (let i = 0; i < bytes.length; i += 3) {
    const left = bytes.length - i;
    const triple = (<u32>bytes[i] << 16) | (left > 1 ? <u32>bytes[i + 1] << 8 : 0) | (left > 2 ? <u32>bytes[i + 2] : 0);
    out.push(ALPHABET.charAt((triple >> 18) & 63));
    out.push(ALPHABET.charAt((triple >> 12) & 63));
    out.push(left > 1 ? ALPHABET.charAt((triple >> 6) & 63) : "=");
    out.push(left > 2 ? ALPHABET.charAt(triple & 63) : "=");
  }
  return out.join("");
}
