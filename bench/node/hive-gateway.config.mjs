// Hive Gateway CLI configuration for the benchmark (hive-gateway supergraph FILE --config-path this file).
//
// HIVE_DEDUPLICATE=1 turns on in-flight de-duplication of identical subgraph requests (the identical-requests
// variant), HIVE_DEDUPLICATE=0 turns it off (the varying-requests variant, where no de-duplication applies).
import { defineConfig } from "@graphql-hive/gateway";

const deduplicate = process.env.HIVE_DEDUPLICATE !== "0";

export const gatewayConfig = defineConfig({
  transportEntries: {
    "*.http": { options: { deduplicateInflightRequests: deduplicate } },
  },
  logging: "warn",
});
