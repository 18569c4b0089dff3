// GraphiQL as this service serves it: local assets only, the example operations as the
// first tab, the explorer with list-of-enum arguments (enum-lists.js).
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("graphiql-examples").textContent);
  var parameters = new URLSearchParams(window.location.search);
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
