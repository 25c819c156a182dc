// Starts GraphiQL: queries and mutations with POST /graphql, subscriptions over a
// graphql-transport-ws WebSocket on the same path. The headers pane's Authorization header goes
// with both (in the WebSocket's connection_init payload).
(function () {
  "use strict";
  var url = new URL("/graphql", window.location.href);
  var socket = new URL("/graphql", window.location.href);
  socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: socket.toString(),
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultHeaders: '{"Authorization": "Bearer <token>"}',
      shouldPersistHeaders: false,
    })
  );
})();
