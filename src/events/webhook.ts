import { createHmac, randomUUID } from "node:crypto";
import { VERSION } from "../core/version.ts";
import type { WebhookConfig } from "../config/schema.ts";
import { performHttp } from "../plugins/host/http-client.ts";
import type { Subscriber } from "./delivery.ts";

/** Largest answer a webhook target may give (only its status counts); a larger one is a failed delivery. */
const ANSWER_BYTES = 1024 * 1024;

/** GitHub's scheme: the HMAC-SHA256 of the body under the secret, hex, after `sha256=`. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * A [[webhooks]] entry: each batch is one POST of `{webhook, events}` as JSON, signed in
 * X-Syncer-Signature-256, with a fresh X-Syncer-Delivery id per attempt (receivers drop events seen
 * twice by their ids). Sent through the host's HTTP client: a redirect is followed only on the URL's own
 * host (checked on every hop, as plugins' allow-lists are), bodies are capped, each attempt has a time
 * limit, and errors are redacted. A 2xx answer is a delivery; anything else is retried.
 */
export function webhookSubscriber(webhook: WebhookConfig): Subscriber {
  const name = `webhook:${webhook.name}`;
  const host = new URL(webhook.url).host;
  return {
    name,
    patterns: webhook.events,
    batchSize: webhook.batch_size,
    async deliver(batch) {
      const body = `{"webhook":${JSON.stringify(webhook.name)},"events":${batch.json}}`;
      const answer = await performHttp(
        {
          method: "POST",
          url: webhook.url,
          headers: {
            "content-type": "application/json",
            "user-agent": `syncer/${VERSION}`,
            "x-syncer-delivery": randomUUID(),
            "x-syncer-signature-256": signature(webhook.secret, body),
          },
          body,
        },
        { allowedHosts: [host], timeoutMs: webhook.timeout_seconds * 1000, maxResponseBytes: ANSWER_BYTES, maxRedirects: 3, retries: 0, verifyTls: true, dryRun: false },
      );
      if (!answer.ok) return { ok: false, error: { kind: answer.error.kind, message: `${name}: ${answer.error.message}` } };
      if (answer.status < 200 || answer.status > 299) return { ok: false, error: { kind: "http", message: `${name}: the target answered ${answer.status}` } };
      return { ok: true };
    },
  };
}
