/**
 * Polls `probe` until it gives something, or fails naming `what` after `ms`: for state another process
 * reaches in its own time (a daemon's log line, a delivery). The limit is far above any honest wait, so a
 * busy machine only makes a test slower, never wrong.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
