// Composes each fixture's subgraphs with Apollo's and The Guild's composers and writes the supergraphs
// to tests/fixtures/supergraphs/<fixture>.<composer>.graphql. Run: node generate.mjs (after npm ci).
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { composeServices as apolloCompose } from "@apollo/composition";
import { composeServices as guildCompose } from "@theguild/federation-composition";
import federation1 from "@apollo/federation";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "fixtures", "supergraphs");
const root = join(here, "subgraphs");

for (const fixture of readdirSync(root).sort()) {
  const services = readdirSync(join(root, fixture))
    .filter((f) => f.endsWith(".graphql"))
    .sort()
    .map((f) => {
      const name = f.replace(/\.graphql$/, "");
      const sdl = readFileSync(join(root, fixture, f), "utf8");
      return { name, url: `http://${name}.local/graphql`, typeDefs: parse(sdl) };
    });
  const apollo = apolloCompose(services);
  if (apollo.errors) {
    throw new Error(`${fixture} (apollo): ${apollo.errors.map((e) => e.message).join("\n")}`);
  }
  writeFileSync(join(out, `${fixture}.apollo.graphql`), apollo.supergraphSdl);
  const guild = guildCompose(services);
  if (guild.errors && guild.errors.length) {
    throw new Error(`${fixture} (guild): ${guild.errors.map((e) => e.message).join("\n")}`);
  }
  writeFileSync(join(out, `${fixture}.guild.graphql`), guild.supergraphSdl);
  if (fixture.startsWith("fed1")) {
    // Federation 1's own composer prints join v0.1 under @core: the oldest format we must read.
    const v1 = federation1.composeAndValidate(services);
    if (v1.errors && v1.errors.length) {
      throw new Error(`${fixture} (federation 1): ${v1.errors.map((e) => e.message).join("\n")}`);
    }
    writeFileSync(join(out, `${fixture}.apollo-v1.graphql`), v1.supergraphSdl);
  }
  console.log(`${fixture}: ${services.length} subgraphs`);
}
