/** An event emitted by a plugin (host function event_emit) or, later, by the daemon. */
export interface NewEvent {
  plugin: string;
  type: string;
  data: unknown;
  account: string | null;
  runId: number | null;
  createdAt: Date;
}

/** The event log. */
export interface EventRepository {
  emit(event: NewEvent): void;
}
