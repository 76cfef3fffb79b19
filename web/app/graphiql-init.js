// Starts GraphiQL (vendored, see web/vendor.json) on this server's /graphql, opening with a
// query a newcomer can run at once: a real ranking from the seed reports.
(function () {
  "use strict";
  var example = [
    "# Districts ranked on one indicator, each figure with its source.",
    "# Run: the ▶ button or Ctrl-Enter. Every query: Docs (book icon).",
    "{",
    "  ranking(indicator: \"public_kindergarten_enrolment_share\", year: 2022, latestOnOrBefore: true) {",
    "    coverage",
    "    entries {",
    "      rank value year",
    "      district { code nameZh nameEn }",
    "      observation { quote source { titleZh documentNumber } }",
    "    }",
    "    missing { nameZh }",
    "  }",
    "}",
    ""
  ].join("\n");
  var root = document.getElementById("graphiql");
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.textContent = "GraphiQL could not start: a script did not load (see the browser console).";
    return;
  }
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: example,
      defaultEditorToolsVisibility: false,
      isHeadersEditorEnabled: true
    })
  );
})();
