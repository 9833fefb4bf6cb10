// Runs graphql-http's server audit (GraphQL over HTTP spec) against a URL and prints the results as JSON:
// [{id, name, status: "ok" | "warn" | "error", reason}] where "error" is a failed MUST.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  process.stderr.write("usage: node audit.mjs <graphql endpoint url>\n");
  process.exit(2);
}
const results = await auditServer({ url });
const out = results.map((result) => ({
  id: result.id,
  name: result.name,
  status: result.status,
  reason: result.status === "ok" ? null : result.reason,
}));
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
