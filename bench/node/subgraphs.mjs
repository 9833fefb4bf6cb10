// The four benchmark subgraphs (accounts, products, inventory, reviews) in one Node.js process, one port each.
//
// Schemas are the Federation 1 SDLs of bench/federation/, built with @apollo/subgraph; data is the public benchmark's,
// written as JSON by bench/federation/data.py. Because data never changes, each answer is cached by request body, so a
// repeated request costs one Map lookup and one socket write: the subgraphs must never be what a gateway
// benchmark measures. Every POST is counted; GET /counts on any port returns the counts of all four.
//
//   node subgraphs.mjs --data data.json --sdl-dir ../federation --host 127.0.0.1 [--server raw|node] \
//        --port accounts=4401 --port products=4402 --port inventory=4403 --port reviews=4404
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, validate } from "graphql";

const CACHE_LIMIT = 20000;

function parseArgs(argv) {
  const args = { host: "127.0.0.1", ports: {}, cache: true, server: "raw" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--data") args.data = argv[++i];
    else if (flag === "--sdl-dir") args.sdlDir = argv[++i];
    else if (flag === "--host") args.host = argv[++i];
    else if (flag === "--no-cache") args.cache = false;
    else if (flag === "--server") args.server = argv[++i];
    else if (flag === "--port") {
      const [name, port] = argv[++i].split("=");
      args.ports[name] = Number(port);
    } else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

// The public benchmark's subgraph behaviour, over the rows of bench/federation/data.py: every Review.author is one
// user (data.reviews.author), every User.reviews the same reviews (data.reviews.userReviews), and inventory
// resolves a Product from its own row alone, so the @requires fields never reach shippingEstimate (null).
function resolversFor(data) {
  const users = new Map(data.accounts.users.map((u) => [u.id, u]));
  const products = new Map(data.products.products.map((p) => [p.upc, p]));
  const inventory = new Map(data.inventory.inventory.map((row) => [row.upc, row]));
  const reviews = data.reviews.reviews;
  const reviewsById = new Map(reviews.map((r) => [r.id, r]));
  const userReviews = data.reviews.userReviews.map((id) => reviewsById.get(id));
  const author = data.reviews.author;
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
        // the row only: price and weight of the representation are not kept
        __resolveReference: (ref) => inventory.get(ref.upc) ?? null,
        shippingEstimate: (p) => {
          if (p.price == null) return null;
          return p.price > 1000 ? 0 : p.weight == null ? null : Math.floor(p.weight / 2);
        },
      },
    },
    reviews: {
      Review: {
        __resolveReference: (ref) => reviewsById.get(ref.id) ?? null,
        product: (r) => ({ __typename: "Product", upc: r.productUpc }),
        // @provides(fields: "username"): this subgraph answers User.username on this path
        author: () => ({ __typename: "User", id: author.id, username: author.username }),
      },
      User: { reviews: () => userReviews },
      Product: { reviews: (p) => reviews.filter((r) => r.productUpc === p.upc) },
    },
  };
}

const REASONS = { 200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error" };

// One whole HTTP/1.1 response (head and body) in one buffer: a cache hit is a single socket write.
function httpResponse(status, payload) {
  const head = `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`;
  return { status, bytes: Buffer.concat([Buffer.from(head, "latin1"), payload]), payload };
}

function errorResponse(status, message) {
  return httpResponse(status, Buffer.from(JSON.stringify({ errors: [{ message }] })));
}

// The GraphQL side of one subgraph: (method, path, body) -> response, from the cache when it can.
function subgraphHandler(name, schema, counts, useCache) {
  const cache = new Map();
  const documents = new Map();

  function execute_(body) {
    let request;
    try {
      request = JSON.parse(body);
    } catch {
      return errorResponse(400, "body is not JSON");
    }
    let document = documents.get(request.query);
    if (document === undefined) {
      try {
        document = parse(request.query);
      } catch (error) {
        return errorResponse(400, error.message);
      }
      const errors = validate(schema, document);
      if (errors.length > 0) {
        return httpResponse(400, Buffer.from(JSON.stringify({ errors: errors.map((e) => e.toJSON()) })));
      }
      if (documents.size < CACHE_LIMIT) documents.set(request.query, document);
    }
    const result = execute({
      schema,
      document,
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
    });
    const respond = (value) => httpResponse(200, Buffer.from(JSON.stringify(value)));
    // _entities resolves through promises even when every __resolveReference is synchronous
    return typeof result.then === "function" ? result.then(respond) : respond(result);
  }

  return (method, path, body) => {
    if (method === "GET") {
      const payload = JSON.stringify(path === "/counts" ? counts : { status: "ok", subgraph: name });
      return httpResponse(200, Buffer.from(payload));
    }
    if (method !== "POST") return errorResponse(404, `${method} is not served`);
    counts[name] += 1;
    const hit = useCache ? cache.get(body) : undefined;
    if (hit !== undefined) return hit;
    const fresh = execute_(body);
    const remember = (response) => {
      // a bounded cache: distinct bodies beyond the limit (per-request variables) are answered uncached
      if (useCache && response.status === 200 && cache.size < CACHE_LIMIT) cache.set(body, response);
      return response;
    };
    return typeof fresh.then === "function"
      ? fresh.then(remember, (error) => errorResponse(500, String(error)))
      : remember(fresh);
  }
}

// node:http transport: the reference HTTP implementation, for checking the raw one (--server node).
function serveNodeHttp(handler, host, port) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      Promise.resolve(handler(req.method, req.url, body)).then((response) => {
        res.writeHead(response.status, { "content-type": "application/json", "content-length": response.payload.length });
        res.end(response.payload);
      });
    });
  });
  // longer than any gateway's idle pool timeout, so a kept-alive connection is never closed under a request
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(port, host);
}

// Minimal HTTP/1.1 server over node:net (the default): keep-alive, content-length and chunked request bodies,
// requests on one connection answered in order. It skips node:http's per-request objects, which are most of
// the cost of answering from a cache.
function serveRaw(handler, host, port) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let waiting = false;

    function next() {
      while (!waiting) {
        const request = takeRequest();
        if (request === null) return;
        if (request.error) {
          socket.end(errorResponse(400, request.error).bytes);
          return;
        }
        const response = handler(request.method, request.path, request.body);
        if (typeof response.then === "function") {
          waiting = true;
          response.then((resolved) => {
            waiting = false;
            write(resolved, request.close);
            next();
          });
        } else write(response, request.close);
      }
    }

    function write(response, close) {
      if (close) socket.end(response.bytes);
      else socket.write(response.bytes);
    }

    // one complete request from the buffer, or null when more bytes are needed
    function takeRequest() {
      const headEnd = buffer.indexOf("\r\n\r\n");
      if (headEnd < 0) return buffer.length > 65536 ? { error: "request head too large" } : null;
      const lines = buffer.toString("latin1", 0, headEnd).split("\r\n");
      const [method, path] = lines[0].split(" ");
      let length = 0;
      let chunked = false;
      let close = false;
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(":");
        const key = lines[i].slice(0, colon).trim().toLowerCase();
        const value = lines[i].slice(colon + 1).trim().toLowerCase();
        if (key === "content-length") length = Number(value);
        else if (key === "transfer-encoding") chunked = value.includes("chunked");
        else if (key === "connection") close = value === "close";
      }
      let offset = headEnd + 4;
      let body;
      if (chunked) {
        const parts = [];
        for (;;) {
          const lineEnd = buffer.indexOf("\r\n", offset);
          if (lineEnd < 0) return null;
          const size = parseInt(buffer.toString("latin1", offset, lineEnd), 16);
          if (Number.isNaN(size)) return { error: "bad chunk size" };
          if (size === 0) {
            const trailerEnd = buffer.indexOf("\r\n\r\n", lineEnd);
            if (trailerEnd >= 0) offset = trailerEnd + 4;
            else if (buffer.length >= lineEnd + 4) offset = lineEnd + 4;
            else return null;
            break;
          }
          if (buffer.length < lineEnd + 2 + size + 2) return null;
          parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
          offset = lineEnd + 2 + size + 2;
        }
        body = Buffer.concat(parts).toString();
      } else {
        if (buffer.length < offset + length) return null;
        body = buffer.toString("utf8", offset, offset + length);
        offset += length;
      }
      buffer = buffer.subarray(offset);
      return { method, path, body, close };
    }

    socket.on("data", (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      next();
    });
    socket.on("error", () => socket.destroy());
  });
  server.listen(port, host);
}

const args = parseArgs(process.argv.slice(2));
const data = JSON.parse(readFileSync(args.data, "utf8"));
const resolvers = resolversFor(data);
const counts = {};
for (const [name, port] of Object.entries(args.ports)) {
  const typeDefs = parse(readFileSync(path.join(args.sdlDir, `${name}.graphql`), "utf8"));
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers[name] }]);
  counts[name] = 0;
  const handler = subgraphHandler(name, schema, counts, args.cache);
  if (args.server === "node") serveNodeHttp(handler, args.host, port);
  else serveRaw(handler, args.host, port);
}
console.log(`subgraphs listening: ${JSON.stringify(args.ports)}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
