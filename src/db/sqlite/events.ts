import type { EventRepository, NewEvent } from "../events.ts";
import type { Db } from "../open.ts";
import { events } from "../schema.ts";

export class SqliteEventRepository implements EventRepository {
  constructor(private readonly db: Db) {}

  emit(event: NewEvent): void {
    this.db.insert(events).values(event).run();
  }
}
