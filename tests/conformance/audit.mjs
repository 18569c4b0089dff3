// GraphQL-over-HTTP conformance: graphql-http's auditServer against a running server.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql  -> prints one JSON summary line.
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
const summary = { ok: 0, warn: 0, error: 0, failures: [], warnings: [] };
for (const result of results) {
  summary[result.status] += 1;
  const line = `${result.name}: ${result.reason ?? ""}`;
  if (result.status === "error") summary.failures.push(line);
  if (result.status === "warn") summary.warnings.push(line);
}
console.log(JSON.stringify(summary));
