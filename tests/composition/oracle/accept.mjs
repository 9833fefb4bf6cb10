// Reads a supergraph SDL on stdin and loads it the way Apollo's gateway and router tooling does
// (@apollo/federation-internals Supergraph.build, which validates the join/link specs), then derives the
// API schema. Prints {ok, error, apiSchema} as JSON.
import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { Supergraph } from "@apollo/federation-internals";

const sdl = readFileSync(0, "utf8");
let out;
try {
  const supergraph = Supergraph.build(sdl);
  const api = supergraph.apiSchema().toGraphQLJSSchema();
  out = { ok: true, error: null, apiSchema: printSchema(api), subgraphs: supergraph.subgraphs().names() };
} catch (e) {
  out = { ok: false, error: String(e.message ?? e), apiSchema: null, subgraphs: [] };
}
process.stdout.write(JSON.stringify(out));
