// PostGraphile v5 as the benchmark runs it (bench/run.sh copies this file next to its
// node_modules and starts the `postgraphile` CLI there). It connects as the read-only role
// `bench_readonly` and exposes only the `bench_api` schema of bench/sql/api.sql: STABLE SQL
// functions, which PostGraphile makes query fields; there is no table and no mutation (the
// harness checks the schema has no mutation type before measuring anything).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.BENCH_PG_URL,
      schemas: ["bench_api"],
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PORT),
    graphiql: false,
    watch: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
