// GraphiQL as this service serves it: local assets only, the example operations as the
// first tab, the explorer with list-of-enum arguments (enum-lists.js).
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("graphiql-examples").textContent);
  // A shared link carries its operation in the fragment (`/graphql#query=...&variables=...`):
  // `?query=` would be run by the server as a GET request.
  var parameters = new URLSearchParams(window.location.hash.slice(1));
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var explorer = GraphiQLPluginExplorer.explorerPlugin({
    getDefaultScalarArgValue: GraphiQLEnumLists.defaultValue,
  });
  var props = {
    fetcher: fetcher,
    defaultQuery: examples,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  };
  if (parameters.get("query")) {
    props.query = parameters.get("query");
    props.variables = parameters.get("variables") || undefined;
  }
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, props));
})();
