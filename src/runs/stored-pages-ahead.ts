import type { EligiblePage, EligibleReader } from "../db/hosts.ts";

/** The stored JSON a read-ahead may hold: an export of ~100k hosts is read ahead whole, a larger one its first pages. */
export const AHEAD_BYTES = 32 * 1024 * 1024;

/**
 * An export's stored pages, read while its begin phase reads the target. The run then waits on the plugin
 * and the target, and the pages it reads meanwhile (with what `prepared` does to each: the memos' input
 * fingerprints) cost it no wall time. In order, up to `budget` bytes of JSON; the pages after those are
 * read when the export wants them, from the same reader.
 */
export class StoredPagesAhead implements EligibleReader {
  private readonly pages: { after: string; page: EligiblePage }[] = [];
  private bytes = 0;
  private after = "";
  private done = false;
  private stopped = false;

  constructor(
    private readonly reader: EligibleReader,
    private readonly limit: number,
    private readonly prepared: (page: EligiblePage) => void,
    private readonly budget: number = AHEAD_BYTES,
  ) {}

  /**
   * Reads pages until stop(), the budget or the last page. One page a turn of the event loop: the target's
   * answers are taken between them. Resolves when it has stopped; await it before the export reads on.
   */
  async run(): Promise<void> {
    while (!this.stopped && !this.done && this.bytes < this.budget) {
      const page = this.reader.page(this.after, this.limit);
      this.pages.push({ after: this.after, page });
      if (page.count === 0) {
        this.done = true;
        break;
      }
      this.prepared(page);
      this.bytes += page.json.byteLength;
      this.after = page.last!;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** The page read ahead when it is the one asked for (the export asks in order), else the reader's. */
  page(after: string, limit: number): EligiblePage {
    const first = this.pages[0];
    if (first === undefined || first.after !== after || limit !== this.limit) return this.reader.page(after, limit);
    this.pages.shift();
    this.bytes -= first.page.json.byteLength;
    return first.page;
  }

  close(): void {
    this.pages.length = 0;
    this.reader.close();
  }
}
