// Times @apollo/composition's composeServices on [{name, url, sdl}] read as JSON from the file named by argv[2],
// argv[3] times (parse of every SDL included, as our compose parses too); prints {seconds: [...], cpu: [...] (user + system, every thread), ok, errors,
// rssMiB} as JSON. Used by bench/compose_bench.py to run Apollo's composer on the same SDLs as ours.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@apollo/composition";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const repeat = Number(process.argv[3] ?? 1);
const seconds = [];
const cpu = [];
let result;
for (let i = 0; i < repeat; i++) {
  const start = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  result = composeServices(input.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  const used = process.cpuUsage(startCpu);
  cpu.push((used.user + used.system) / 1e6);
}
const errors = (result.errors ?? []).slice(0, 10).map((e) => `${e.extensions?.code ?? ""} ${e.message}`);
process.stdout.write(
  JSON.stringify({ seconds, cpu, ok: !result.errors, errors, rssMiB: process.memoryUsage().rss / 2 ** 20 }),
);
