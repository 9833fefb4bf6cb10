// Node 20 has no Promise.withResolvers (Node 22 does); the Rust planner's runtime calls it.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// Serves several supergraphs with Hive Gateway, one runtime each, at /<name>/graphql on one port.
// Usage: node serve.mjs MANIFEST.json PORT [--planner rust|js], where the manifest maps names to supergraph SDL
// files. The planner: "rust" (the default) is Hive Router's query planner (@graphql-hive/router-runtime's
// unifiedGraphHandler); "js" is Hive Gateway's own JavaScript planner, kept as a second opinion.
// Progressive override: custom labels come from the x-override-labels header (comma-separated), as on our
// gateway; percent(N) labels roll against the x-override-rng header (Hive reads PROGRESSIVE_OVERRIDE_RNG).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { unifiedGraphHandler } from "@graphql-hive/router-runtime";

const PLANNERS = ["rust", "js"];
const args = process.argv.slice(2);
let planner = "rust";
const flag = args.indexOf("--planner");
if (flag !== -1) {
  planner = args[flag + 1];
  args.splice(flag, 2);
}
if (!PLANNERS.includes(planner) || args.length !== 2) {
  console.error(`usage: node serve.mjs MANIFEST.json PORT [--planner ${PLANNERS.join("|")}]`);
  process.exit(2);
}
const [manifestPath, port] = args;
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const runtimes = new Map();
for (const [name, file] of Object.entries(manifest)) {
  runtimes.set(
    name,
    createGatewayRuntime({
      supergraph: readFileSync(file, "utf8"),
      graphqlEndpoint: `/${name}/graphql`,
      logging: false,
      maskedErrors: false,
      landingPage: false,
      ...(planner === "rust" ? { unifiedGraphHandler } : {}),
      // The claims header reaches the subgraphs as our gateway forwards verified claims (the services check
      // ownership from it); nothing else of the client's headers does.
      propagateHeaders: {
        fromClientToSubgraphs({ request }) {
          const claims = request.headers.get("x-claims");
          return claims ? { "x-claims": claims } : {};
        },
      },
      progressiveOverride(label, context) {
        const header = context?.request?.headers?.get("x-override-labels") ?? "";
        return header.split(",").map((s) => s.trim()).includes(label);
      },
    }),
  );
}

// The runtimes' graceful shutdown waits on nothing a test needs (and, with the Rust planner, never ends).
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));

createServer((req, res) => {
  const name = (req.url ?? "").split("/")[1];
  const runtime = runtimes.get(name);
  if (!runtime) {
    res.writeHead(404).end();
    return;
  }
  const rng = req.headers["x-override-rng"];
  if (rng) process.env.PROGRESSIVE_OVERRIDE_RNG = rng;
  else delete process.env.PROGRESSIVE_OVERRIDE_RNG;
  runtime(req, res);
}).listen(Number(port), "127.0.0.1", () => console.log(`ready ${port} (${planner} planner)`));
