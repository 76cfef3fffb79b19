// A graphql-ws client (npm graphql-ws over npm ws; Node 20 has no global WebSocket) for
// tests/it/notifications.rs: opens one graphql-transport-ws connection to the server, starts
// every subscription given, and prints one JSON line when each has received what it waits for:
//   node subscribe.mjs ws://HOST:PORT/graphql/ws '[{"query": "...", "variables": {}, "count": 1}]'
// Output: [{"next": [payload, ...], "error": errors-or-null, "complete": bool}, ...], in the
// order given. A subscription waits for `count` `next` payloads, or an error, or completion.
// Exit 0 when all are done; 1 with what arrived on timeout (TIMEOUT_MS, default 60 s); 3 when
// a package is missing. The packages are looked up under EDUSTATS_NODE_PREFIX (the folder
// holding node_modules; scripts/test installs them in target/test-env/node).
import { createRequire } from "node:module";

const require = createRequire(`${process.env.EDUSTATS_NODE_PREFIX ?? process.cwd()}/`);
let createClient, WebSocket;
try {
  ({ createClient } = require("graphql-ws"));
  WebSocket = require("ws");
} catch (e) {
  console.error(`missing package: ${e.message}`);
  process.exit(3);
}

const [url, spec] = process.argv.slice(2);
const subscriptions = JSON.parse(spec);
const results = subscriptions.map(() => ({ next: [], error: null, complete: false }));
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  // The failure reaches the subscriptions (their `error`); this only keeps stderr short.
  onNonLazyError: (e) => console.error(String(e?.message ?? e?.reason ?? e)),
});

const done = subscriptions.map(
  (s, i) =>
    new Promise((resolve) => {
      const r = results[i];
      client.subscribe(
        { query: s.query, variables: s.variables ?? {} },
        {
          next: (payload) => {
            r.next.push(payload);
            if (r.next.length >= s.count) resolve();
          },
          error: (e) => {
            // A list of GraphQL errors, a close event or an Error.
            r.error = Array.isArray(e) ? e : { message: String(e?.reason ?? e?.message ?? e), code: e?.code };
            resolve();
          },
          complete: () => {
            r.complete = true;
            resolve();
          },
        },
      );
    }),
);

const timeout = Number(process.env.TIMEOUT_MS ?? 60000);
const timer = setTimeout(() => {
  console.log(JSON.stringify(results));
  console.error("timed out waiting for the events");
  process.exit(1);
}, timeout);
await Promise.all(done);
clearTimeout(timer);
console.log(JSON.stringify(results));
await client.dispose();
process.exit(0);
