// Reads [{name, url, sdl}] as JSON on stdin, composes with @apollo/composition (Apollo's own composer),
// prints {supergraphSdl, publicSdl, errors: [{code, message}]} as JSON on stdout.
import { readFileSync } from "node:fs";
import { parse, printSchema } from "graphql";
import { composeServices } from "@apollo/composition";

const input = JSON.parse(readFileSync(0, "utf8"));
let out;
try {
  const result = composeServices(
    input.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
  );
  if (result.errors) {
    out = {
      supergraphSdl: null,
      publicSdl: null,
      errors: result.errors.map((e) => ({ code: e.extensions?.code ?? null, message: e.message })),
    };
  } else {
    out = {
      supergraphSdl: result.supergraphSdl,
      publicSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
      errors: [],
    };
  }
} catch (e) {
  out = { supergraphSdl: null, publicSdl: null, errors: [{ code: "INVALID_GRAPHQL", message: String(e.message ?? e) }] };
}
process.stdout.write(JSON.stringify(out));
