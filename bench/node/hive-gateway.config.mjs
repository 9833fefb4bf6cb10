// Hive Gateway CLI configuration for the benchmark (hive-gateway supergraph FILE --config-path this file).
//
// HIVE_DEDUPLICATE=1 (default): the public benchmark's published configuration, JIT-compiled execution and inbound
// in-flight de-duplication of identical client requests, with outbound de-duplication of identical subgraph
// requests at its default (on). HIVE_DEDUPLICATE=0: the same with both de-duplications off.
import { defineConfig } from "@graphql-hive/gateway";

const deduplicate = process.env.HIVE_DEDUPLICATE !== "0";

export const gatewayConfig = defineConfig({
  jit: true,
  inboundInflightRequestDeduplication: deduplicate,
  transportEntries: {
    "*.http": { options: { deduplicateInflightRequests: deduplicate } },
  },
  logging: "warn",
});
