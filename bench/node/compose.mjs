// Composes the benchmark subgraphs' SDLs into a supergraph (join spec) with @theguild/federation-composition.
//
//   node compose.mjs --sdl-dir ../federation --url accounts=http://127.0.0.1:4401/graphql ... > supergraph.graphql
// Exits 1 and prints the composition errors on stderr when the subgraphs do not compose.
import { readFileSync } from "node:fs";
import path from "node:path";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

let sdlDir = ".";
const urls = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--sdl-dir") sdlDir = argv[++i];
  else if (argv[i] === "--url") urls.push(argv[++i].split(/=(.*)/s).slice(0, 2));
  else throw new Error(`unknown argument ${argv[i]}`);
}
const result = composeServices(
  urls.map(([name, url]) => ({
    name,
    url,
    typeDefs: parse(readFileSync(path.join(sdlDir, `${name}.graphql`), "utf8")),
  })),
);
if (result.errors?.length) {
  for (const error of result.errors) console.error(`${error.extensions?.code ?? "ERROR"}: ${error.message}`);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`);
