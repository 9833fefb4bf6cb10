// Load generator of bench/run.py where wrk is not installed: autocannon with the same contract as bench/load.lua.
//
//   BENCH_BODY=body.json BENCH_VARYING=0|1 BENCH_FIRST_BASE=1000 \
//     node load.mjs --url http://127.0.0.1:4410/graphql --connections 50 --duration 20 --timeout 10
//
// BENCH_BODY holds the JSON request body; with BENCH_VARYING=1 its "__FIRST__" is replaced by a number unique to
// each request, so no two requests are equal. A 200 answer whose body carries "errors" counts as an error. Prints
// one line "BENCH_RESULT {json}" with the fields bench/load.lua prints.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const args = { url: "", connections: 50, duration: 10, timeout: 10 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i].replace(/^--/, "");
  if (!(flag in args)) throw new Error(`unknown argument ${argv[i]}`);
  args[flag] = flag === "url" ? argv[++i] : Number(argv[++i]);
}

const template = readFileSync(process.env.BENCH_BODY, "utf8");
const varying = process.env.BENCH_VARYING === "1";
let next = Number(process.env.BENCH_FIRST_BASE ?? "1000");
const [prefix, suffix] = template.split("__FIRST__");
if (varying && suffix === undefined) throw new Error("BENCH_BODY has no __FIRST__ placeholder");

let sent = 0;
let graphqlErrors = 0;
const request = {
  method: "POST",
  path: new URL(args.url).pathname,
  headers: { "content-type": "application/json", accept: "application/json" },
  body: template,
  setupRequest: (req) => {
    sent += 1;
    return varying ? { ...req, body: `${prefix}${next++}${suffix}` } : req;
  },
  onResponse: (status, body) => {
    if (status === 200 && body.includes('"errors":')) graphqlErrors += 1;
  },
};

autocannon(
  {
    url: args.url,
    connections: args.connections,
    duration: args.duration,
    timeout: args.timeout,
    requests: [request],
  },
  (error, result) => {
    if (error) throw error;
    const ms = (x) => Math.round((x ?? 0) * 1000);
    // autocannon counts every answer, whatever its status, in requests.total; errors and timeouts apart
    const out = {
      requests: result.requests.total,
      sent,
      duration_us: Math.round(result.duration * 1e6),
      bytes: result.throughput.total,
      connect_errors: 0,
      read_errors: Math.max(0, result.errors - result.timeouts),
      write_errors: 0,
      status_errors: result.non2xx,
      timeouts: result.timeouts,
      graphql_errors: graphqlErrors,
      p50_us: ms(result.latency.p50),
      p90_us: ms(result.latency.p90),
      p99_us: ms(result.latency.p99),
      mean_us: ms(result.latency.average),
      max_us: ms(result.latency.max),
    };
    process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(out)}\n`);
  },
);
