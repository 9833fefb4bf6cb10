// Serves several supergraphs with Hive Gateway, one runtime each, at /<name>/graphql on one port.
// Usage: node serve.mjs MANIFEST.json PORT, where the manifest maps names to supergraph SDL files.
// Progressive override: custom labels come from the x-override-labels header (comma-separated), as on our
// gateway; percent(N) labels roll against the x-override-rng header (Hive reads PROGRESSIVE_OVERRIDE_RNG).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [manifestPath, port] = process.argv.slice(2);
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
      progressiveOverride(label, context) {
        const header = context?.request?.headers?.get("x-override-labels") ?? "";
        return header.split(",").map((s) => s.trim()).includes(label);
      },
    }),
  );
}

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
}).listen(Number(port), "127.0.0.1", () => console.log(`ready ${port}`));
