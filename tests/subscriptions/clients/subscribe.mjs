// One subscription through the graphql-ws or graphql-sse reference client, printed as JSON lines.
//
//   node subscribe.mjs '{"url": "http://127.0.0.1:PORT/graphql", "protocol": "ws" | "sse",
//                        "query": "...", "variables": {...}, "token": "..."}'
//
// stdout: {"type": "connected"} once the connection is acknowledged (graphql-ws) or opened (graphql-sse), then
// {"type": "next", "payload": {...}, "at": <ms since epoch>} per event, and {"type": "complete"} or
// {"type": "error", "error": ...} at the end. Without "variables" in the options, the client connects first and
// subscribes once a line of JSON variables arrives on stdin: a test can have the connection ready before the
// order it watches exists. Closing stdin (or SIGTERM) disposes of the client, as an app leaving the page would:
// the test then checks that nothing stays open upstream.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const options = JSON.parse(process.argv[2]);
const authorization = options.token ? `Bearer ${options.token}` : undefined;
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

let client;
if (options.protocol === "ws") {
  client = createWsClient({
    url: options.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { Authorization: authorization } : {},
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => print({ type: "connected" }) },
  });
} else if (options.protocol === "sse") {
  client = createSseClient({
    url: options.url,
    headers: authorization ? { Authorization: authorization } : {},
    retryAttempts: 0,
    on: { connected: () => print({ type: "connected" }) },
  });
} else {
  throw new Error(`unknown protocol ${options.protocol}`);
}

const stop = async (code) => {
  try {
    await client.dispose();
  } finally {
    process.exit(code);
  }
};
process.stdin.on("end", () => stop(0));
process.on("SIGTERM", () => stop(0));

let pending = "";
if (options.variables === undefined) {
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    pending += chunk;
    const newline = pending.indexOf("\n");
    if (newline >= 0 && pending !== null) {
      const variables = JSON.parse(pending.slice(0, newline));
      pending = null;
      subscribe(variables);
    }
  });
} else {
  process.stdin.resume();
  subscribe(options.variables);
}

function subscribe(variables) {
  client.subscribe({ query: options.query, variables }, {
    next: (payload) => print({ type: "next", payload, at: Date.now() }),
    error: (error) => {
      const shown = Array.isArray(error)
        ? error
        : error instanceof Error
          ? { message: error.message }
          : { code: error?.code, reason: error?.reason, message: String(error) };
      print({ type: "error", error: shown });
      stop(1);
    },
    complete: () => {
      print({ type: "complete" });
      stop(0);
    },
  });
}
