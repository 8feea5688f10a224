import * as v from "valibot";
import type { Logger } from "../core/logger.ts";
import { EventBatchAnswerSchema } from "../plugins/abi.ts";
import type { Manifest } from "../plugins/manifest/schema.ts";
import type { ResolvedOption } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import { RawJson } from "../plugins/raw-json.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Subscriber } from "./delivery.ts";

/**
 * A plugin that declares `subscriptions`: its export receives `{subscriber, events}` through the plugin
 * runtime (its sandbox, its time limit) and answers null once it has taken them. A failure, a trap, a
 * timeout or any other answer is a failed delivery, retried with the same events.
 */
export function pluginSubscriber(
  plugin: Plugin,
  subscriptions: NonNullable<Manifest["subscriptions"]>,
  runtime: PluginRuntime,
  pluginOptions: Record<string, ResolvedOption> | undefined,
  log: Logger,
): Subscriber {
  const name = `plugin:${plugin.ident}`;
  return {
    name,
    patterns: subscriptions.events,
    batchSize: subscriptions.batch_size,
    async deliver(batch) {
      // The batch's JSON goes into the request as it is (RawJson): never parsed on the way.
      const result = await runtime.call(plugin, subscriptions.export, { input: { subscriber: name, events: new RawJson(batch.json) }, pluginOptions });
      for (const line of result.logs) log[line.level](`${plugin.ident}: ${line.message}`, { subscriber: name });
      if (!result.ok) return { ok: false, error: { kind: result.error.kind, message: `${plugin.ident}.${subscriptions.export}: ${result.error.message}` } };
      if (!v.is(EventBatchAnswerSchema, result.value)) {
        const shown = JSON.stringify(result.value)?.slice(0, 100) ?? "nothing";
        return { ok: false, error: { kind: "abi", message: `${plugin.ident}.${subscriptions.export} answered ${shown}, not null` } };
      }
      return { ok: true };
    },
  };
}
