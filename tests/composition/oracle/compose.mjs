// Reads [{name, url, sdl}] as JSON on stdin, composes with @theguild/federation-composition,
// prints {supergraphSdl, publicSdl, errors: [{code, message}]} as JSON on stdout.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const input = JSON.parse(readFileSync(0, "utf8"));
let out;
try {
  const result = composeServices(
    input.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
  );
  out = {
    supergraphSdl: result.supergraphSdl ?? null,
    publicSdl: result.publicSdl ?? null,
    errors: (result.errors ?? []).map((e) => ({
      code: e.extensions?.code ?? null,
      message: e.message,
    })),
  };
} catch (e) {
  out = { supergraphSdl: null, publicSdl: null, errors: [{ code: "INVALID_GRAPHQL", message: String(e.message ?? e) }] };
}
process.stdout.write(JSON.stringify(out));
