import type { Logger } from "../core/logger.ts";
import type { SubscriberRecord } from "../db/events.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Setup } from "../plugins/setup.ts";
import type { Subscriber } from "./delivery.ts";
import { pluginSubscriber } from "./plugin-subscriber.ts";
import { webhookSubscriber } from "./webhook.ts";

/** A subscriber as JSON: what `syncer events subscribers --json` prints and the API answers. `latest`: the newest event's id. */
export function subscriberJson(row: SubscriberRecord, latest: number) {
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return {
    name: row.name,
    state: row.state,
    cursor: row.cursor,
    behind: Math.max(0, latest - row.cursor),
    delivered: row.delivered,
    last_delivered_at: iso(row.lastDeliveredAt),
    failures: row.failures,
    last_error: row.lastError && { kind: row.lastError.kind, message: row.lastError.message, at: iso(row.lastError.at) },
  };
}

/** The subscribers a setup names: its enabled plugins' subscriptions and its enabled [[webhooks]]. */
export function subscribersOf(setup: Setup, runtime: PluginRuntime, log: Logger): Subscriber[] {
  const subscribers: Subscriber[] = [];
  for (const plugin of setup.registry.plugins.values()) {
    const subscriptions = plugin.manifest.subscriptions;
    if (!plugin.manifest.enabled || !subscriptions) continue;
    subscribers.push(pluginSubscriber(plugin, subscriptions, runtime, setup.pluginOptions.get(plugin.ident), log));
  }
  for (const webhook of setup.config.webhooks) if (webhook.enabled) subscribers.push(webhookSubscriber(webhook));
  return subscribers;
}
