// Reads a supergraph SDL on stdin and loads it the way Apollo's gateway and router tooling does
// (@apollo/federation-internals Supergraph.build with ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, which validates the join/link specs and accepts the
// features Apollo Router supports: @authenticated, @requiresScopes, @policy, @cost, ... that Apollo Gateway's
// default set refuses), then derives the API schema. Prints {ok, error, apiSchema} as JSON.
import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from "@apollo/federation-internals";

const sdl = readFileSync(0, "utf8");
let out;
try {
  const supergraph = Supergraph.build(sdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
  const api = supergraph.apiSchema().toGraphQLJSSchema();
  out = { ok: true, error: null, apiSchema: printSchema(api), subgraphs: supergraph.subgraphs().names() };
} catch (e) {
  out = { ok: false, error: String(e.message ?? e), apiSchema: null, subgraphs: [] };
}
process.stdout.write(JSON.stringify(out));
