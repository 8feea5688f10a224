/** An account's delete_limit, a share such as "10%" or a count, against the number of hosts it owns: how many a run may delete. */
export function deleteLimit(limit: number | string, owned: number): number {
  return typeof limit === "number" ? limit : Math.floor((owned * Number.parseFloat(limit)) / 100);
}
