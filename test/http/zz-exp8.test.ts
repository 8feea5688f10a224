import { test, expect } from "bun:test";
import { apiApp } from "/work/wt-c/test/helpers/api-app.ts";
import { buildFixturePlugins } from "/work/wt-c/test/helpers/plugins.ts";
test("exp", async () => {
  buildFixturePlugins();
  const app = apiApp("");
  for (const p of ["/api/v1/plugins/testkit/../testkit/report.csv", "/api/v1/plugins/testkit/%2e%2e/testkit/report.csv", "/api/v1/plugins/testkit/./report.csv", "/api/v1/plugins/testkit/%2E/report.csv", "/api/v1/plugins/testkit/report.csv/..", "/api/v1/plugins/testkit/x/../report.csv", "/api/v1/hosts/../plugins/testkit/report.csv"]) {
    const r = await app.request(p);
    console.log(p, r.status, JSON.stringify(r.body).slice(0, 150));
  }
  app.close();
}, 120000);
