// Apollo Gateway (@apollo/gateway) behind Apollo Server's standalone HTTP server, on a static supergraph file.
//
//   node apollo-gateway.mjs --supergraph ../supergraph.graphql --host 127.0.0.1 --port 4400
// Apollo's usage telemetry is switched off: the benchmark sends no traffic off this machine.
import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

process.env.APOLLO_TELEMETRY_DISABLED = "true";

const args = { host: "127.0.0.1", port: 4400 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--supergraph") args.supergraph = argv[++i];
  else if (argv[i] === "--host") args.host = argv[++i];
  else if (argv[i] === "--port") args.port = Number(argv[++i]);
  else throw new Error(`unknown argument ${argv[i]}`);
}

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(args.supergraph, "utf8") });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { host: args.host, port: args.port } });
console.log(`apollo gateway ready at ${url}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.stop().finally(() => process.exit(0)));
