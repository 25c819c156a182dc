// Follows the `events` subscription with the graphql-ws client over graphql-transport-ws and
// prints each event received as one JSON line, until it has printed `count` of them.
// Usage: node subscribe.mjs WS_URL TOKEN FROM_POSITION COUNT
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, fromPosition, count] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

let seen = 0;
const stop = client.subscribe(
  {
    query: "subscription($from: Int) { events(fromPosition: $from) { position type } }",
    variables: { from: Number(fromPosition) },
  },
  {
    next: (result) => {
      console.log(JSON.stringify(result));
      seen += 1;
      if (seen >= Number(count)) {
        stop();
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      console.error("subscription failed:", JSON.stringify(error, Object.getOwnPropertyNames(error)));
      process.exit(1);
    },
    complete: () => {
      console.error("the subscription completed before enough events came");
      process.exit(1);
    },
  },
);
