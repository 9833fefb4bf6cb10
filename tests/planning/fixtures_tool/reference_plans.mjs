// Plans every case of tests/planning/reference_cases.json with Apollo's query planner and writes its sequential
// depth and fetch count to tests/planning/reference_plans.json (our planner must never do worse).
//   python -m tests.planning.reference_queries && node tests/planning/fixtures_tool/reference_plans.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import { QueryPlanner } from "@apollo/query-planner";

const here = dirname(fileURLToPath(import.meta.url));
const planningTests = join(here, "..");
const fixtures = join(here, "..", "..", "fixtures", "supergraphs");

function depth(node) {
  if (!node) return 0;
  switch (node.kind) {
    case "Fetch": return 1;
    case "Flatten": return depth(node.node);
    case "Sequence": return node.nodes.reduce((n, c) => n + depth(c), 0);
    case "Parallel": return Math.max(...node.nodes.map(depth));
    case "Condition": return Math.max(depth(node.ifClause), depth(node.elseClause));
    default: throw new Error(`unexpected plan node ${node.kind}`);
  }
}

function fetches(node) {
  if (!node) return 0;
  switch (node.kind) {
    case "Fetch": return 1;
    case "Flatten": return fetches(node.node);
    case "Sequence": case "Parallel": return node.nodes.reduce((n, c) => n + fetches(c), 0);
    case "Condition": return fetches(node.ifClause) + fetches(node.elseClause);
    default: throw new Error(`unexpected plan node ${node.kind}`);
  }
}

const planners = new Map();
function plannerFor(name) {
  if (!planners.has(name)) {
    const supergraph = Supergraph.build(readFileSync(join(fixtures, `${name}.graphql`), "utf8"));
    planners.set(name, [supergraph, new QueryPlanner(supergraph)]);
  }
  return planners.get(name);
}

const cases = JSON.parse(readFileSync(join(planningTests, "reference_cases.json"), "utf8"));
const out = cases.map(({ fixture, query }) => {
  const [supergraph, planner] = plannerFor(fixture);
  const plan = planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query)));
  return { fixture, query, depth: depth(plan.node), fetches: fetches(plan.node) };
});
writeFileSync(join(planningTests, "reference_plans.json"), JSON.stringify(out, null, 1) + "\n");
console.log(`${out.length} reference plans`);
