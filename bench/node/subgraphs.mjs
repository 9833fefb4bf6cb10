// The four benchmark subgraphs (accounts, products, inventory, reviews) in one Node.js process, one port each.
//
// Schemas are the Federation 1 SDLs of bench/federation/, built with @apollo/subgraph; data is the static JSON
// written by bench/federation/data.py. Because data never changes, each answer is cached by request body, so a
// repeated request costs one Map lookup and one socket write: the subgraphs must never be what a gateway
// benchmark measures. Every POST is counted; GET /counts on any port returns the counts of all four.
//
//   node subgraphs.mjs --data data.json --sdl-dir ../federation --host 127.0.0.1 \
//        --port accounts=4401 --port products=4402 --port inventory=4403 --port reviews=4404
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, validate } from "graphql";

const CACHE_LIMIT = 20000;

function parseArgs(argv) {
  const args = { host: "127.0.0.1", ports: {}, cache: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--data") args.data = argv[++i];
    else if (flag === "--sdl-dir") args.sdlDir = argv[++i];
    else if (flag === "--host") args.host = argv[++i];
    else if (flag === "--no-cache") args.cache = false;
    else if (flag === "--port") {
      const [name, port] = argv[++i].split("=");
      args.ports[name] = Number(port);
    } else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

function resolversFor(data) {
  const users = new Map(data.accounts.users.map((u) => [u.id, u]));
  const products = new Map(data.products.products.map((p) => [p.upc, p]));
  const inventory = new Map(data.inventory.inventory.map((row) => [row.upc, row]));
  const reviews = data.reviews.reviews;
  const reviewsById = new Map(reviews.map((r) => [r.id, r]));
  const usernames = data.reviews.usernames;
  return {
    accounts: {
      Query: {
        me: () => data.accounts.users[0],
        user: (_, { id }) => users.get(id) ?? null,
        users: () => data.accounts.users,
      },
      User: { __resolveReference: (ref) => users.get(ref.id) ?? null },
    },
    products: {
      Query: { topProducts: (_, { first }) => data.products.products.slice(0, Math.max(0, first ?? 5)) },
      Product: { __resolveReference: (ref) => products.get(ref.upc) ?? null },
    },
    inventory: {
      Product: {
        __resolveReference: (ref) => {
          const row = inventory.get(ref.upc);
          return row ? { ...ref, ...row } : null;
        },
        // @requires(fields: "price weight"): both arrive in the representation
        shippingEstimate: (p) => (p.price > 1000 ? 0 : Math.floor(p.weight / 2)),
      },
    },
    reviews: {
      Review: {
        __resolveReference: (ref) => reviewsById.get(ref.id) ?? null,
        product: (r) => ({ __typename: "Product", upc: r.productUpc }),
        // @provides(fields: "username"): this subgraph answers User.username on this path
        author: (r) => ({ __typename: "User", id: r.authorID, username: usernames[r.authorID] }),
      },
      User: { reviews: (u) => reviews.filter((r) => r.authorID === u.id) },
      Product: { reviews: (p) => reviews.filter((r) => r.productUpc === p.upc) },
    },
  };
}

function startSubgraph(name, schema, host, port, counts, useCache) {
  const cache = new Map();
  const documents = new Map();

  function answer(body) {
    let request;
    try {
      request = JSON.parse(body);
    } catch {
      return { status: 400, payload: Buffer.from('{"errors":[{"message":"body is not JSON"}]}') };
    }
    let document = documents.get(request.query);
    if (document === undefined) {
      try {
        document = parse(request.query);
      } catch (error) {
        return { status: 400, payload: Buffer.from(JSON.stringify({ errors: [{ message: error.message }] })) };
      }
      const errors = validate(schema, document);
      if (errors.length > 0) {
        return { status: 400, payload: Buffer.from(JSON.stringify({ errors: errors.map((e) => e.toJSON()) })) };
      }
      if (documents.size < CACHE_LIMIT) documents.set(request.query, document);
    }
    const result = execute({
      schema,
      document,
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
    });
    const respond = (value) => ({ status: 200, payload: Buffer.from(JSON.stringify(value)) });
    // _entities resolves through promises even when every __resolveReference is synchronous
    return typeof result.then === "function" ? result.then(respond) : respond(result);
  }

  function send(res, hit) {
    res.writeHead(hit.status, { "content-type": "application/json", "content-length": hit.payload.length });
    res.end(hit.payload);
  }

  const server = http.createServer((req, res) => {
    if (req.method === "GET") {
      const payload = JSON.stringify(req.url === "/counts" ? counts : { status: "ok", subgraph: name });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      counts[name] += 1;
      const body = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
      const hit = useCache ? cache.get(body) : undefined;
      if (hit !== undefined) {
        send(res, hit);
        return;
      }
      Promise.resolve(answer(body)).then(
        (fresh) => {
          // a bounded cache: distinct bodies beyond the limit (per-request variables) are answered uncached
          if (useCache && fresh.status === 200 && cache.size < CACHE_LIMIT) cache.set(body, fresh);
          send(res, fresh);
        },
        (error) => send(res, { status: 500, payload: Buffer.from(JSON.stringify({ errors: [{ message: String(error) }] })) }),
      );
    });
  });
  // longer than any gateway's idle pool timeout, so a kept-alive connection is never closed under a request
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(port, host);
  return server;
}

const args = parseArgs(process.argv.slice(2));
const data = JSON.parse(readFileSync(args.data, "utf8"));
const resolvers = resolversFor(data);
const counts = {};
for (const [name, port] of Object.entries(args.ports)) {
  const typeDefs = parse(readFileSync(path.join(args.sdlDir, `${name}.graphql`), "utf8"));
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers[name] }]);
  counts[name] = 0;
  startSubgraph(name, schema, args.host, port, counts, args.cache);
}
console.log(`subgraphs listening: ${JSON.stringify(args.ports)}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
