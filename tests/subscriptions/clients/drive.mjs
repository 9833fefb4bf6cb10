// Drives one operation through the reference clients, graphql-ws (GraphQL over WebSocket) or graphql-sse
// (GraphQL over SSE, distinct connections mode), against a running gateway; prints one JSON line per sink call.
// Usage: node drive.mjs '{"protocol": "ws"|"sse", "url": ..., "query": ..., "variables": ..., "take": N,
//                         "connectionParams": {...}, "headers": {...}}'
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const spec = JSON.parse(process.argv[2]);
const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");

function describe(error) {
  if (Array.isArray(error)) return { errors: error };
  if (error && typeof error.code === "number") return { code: error.code, reason: error.reason };
  if (error && error.response) return { status: error.response.status, message: String(error.message) };
  return { message: String(error && error.message ? error.message : error) };
}

let client;
if (spec.protocol === "ws") {
  client = createWsClient({
    url: spec.url,
    webSocketImpl: WebSocket,
    connectionParams: spec.connectionParams,
    retryAttempts: 0,
    on: {
      connected: () => out({ event: "connected" }),
      closed: (event) => out({ event: "closed", code: event.code, reason: event.reason }),
    },
  });
} else {
  client = createSseClient({ url: spec.url, headers: spec.headers, retryAttempts: 0 });
}

let received = 0;
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  setTimeout(async () => {
    await client.dispose();
    process.exit(0);
  }, 100);
}

const unsubscribe = client.subscribe(
  { query: spec.query, variables: spec.variables },
  {
    next: (value) => {
      out({ event: "next", payload: value });
      received += 1;
      if (spec.take && received >= spec.take) {
        unsubscribe();
        out({ event: "unsubscribed" });
        finish();
      }
    },
    error: (error) => {
      out({ event: "error", error: describe(error) });
      finish();
    },
    complete: () => {
      out({ event: "complete" });
      finish();
    },
  },
);
