// Starts GraphiQL against the gateway and adds a "Query plan" panel that shows the plan of the last request
// (the gateway returns it in extensions.queryPlan when asked with the query-plan header and allowed to).
// Subscriptions go over GraphQL over WebSocket (graphql-transport-ws) to the same path, through the graphql-ws
// client bundled in GraphiQL (GraphiQL.createFetcher); the header editor's headers travel in connection_init.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("gateway-graphiql-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).toString();
  var subscriptionEndpoint = new URL(config.subscriptionEndpoint || config.endpoint, window.location.href)
    .toString().replace(/^http/, "ws");
  var h = React.createElement;

  // The chosen operation's type, read from the text (comments and strings cannot start an operation line).
  function isSubscription(params) {
    var text = (params.query || "").replace(/#[^\n]*/g, "").replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\])*"/g, '""');
    if (params.operationName) {
      return new RegExp("\\bsubscription\\s+" + params.operationName + "\\b").test(text);
    }
    return /^\s*subscription\b/.test(text);
  }

  var subscriptionFetchers = {};
  function subscriptionFetcher(headers) {
    var key = JSON.stringify(headers);
    if (!subscriptionFetchers[key]) {
      subscriptionFetchers[key] = GraphiQL.createFetcher({
        url: endpoint,
        subscriptionUrl: subscriptionEndpoint,
        wsConnectionParams: { headers: headers },
      });
    }
    return subscriptionFetchers[key];
  }

  var planState = { plan: null, operationName: null, askForPlan: !!config.queryPlanHeader, listeners: [] };
  function publish() {
    planState.listeners.forEach(function (listener) { listener(); });
  }

  function fetcher(params, options) {
    if (isSubscription(params)) {
      // GraphiQL's fetcher sends an operation over WebSocket when its documentAST says it is a subscription;
      // this GraphiQL does not pass one, so the operation read above is handed over in that shape.
      var name = params.operationName ? { kind: "Name", value: params.operationName } : undefined;
      var documentAST = { kind: "Document", definitions: [{ kind: "OperationDefinition", operation: "subscription",
        name: name, selectionSet: { kind: "SelectionSet", selections: [] } }] };
      var headers = Object.assign({}, (options && options.headers) || {});
      if (config.queryPlanHeader && planState.askForPlan) headers[config.queryPlanHeader] = "true";
      var events = subscriptionFetcher(headers)(params, Object.assign({}, options, { documentAST: documentAST }));
      return withPlans(events, params);
    }
    return httpFetcher(params, options);
  }

  // The events of a subscription as they come; the first carries the plan when the gateway was asked for it.
  async function* withPlans(events, params) {
    var first = true;
    for await (var result of await events) {
      if (first) {
        first = false;
        planState.plan = (result && result.extensions && result.extensions.queryPlan) || null;
        planState.operationName = params.operationName || null;
        publish();
      }
      yield result;
    }
  }

  async function httpFetcher(params, options) {
    var headers = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    };
    var extra = (options && options.headers) || {};
    Object.keys(extra).forEach(function (name) { headers[name] = extra[name]; });
    var isIntrospection = params.operationName === "IntrospectionQuery";
    if (config.queryPlanHeader && planState.askForPlan && !isIntrospection) {
      headers[config.queryPlanHeader] = "true";
    }
    var response = await fetch(endpoint, { method: "POST", headers: headers, body: JSON.stringify(params) });
    var text = await response.text();
    var body;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return { errors: [{ message: "HTTP " + response.status + ": " + text.slice(0, 500) }] };
    }
    if (!isIntrospection) {
      planState.plan = (body && body.extensions && body.extensions.queryPlan) || null;
      planState.operationName = params.operationName || null;
      publish();
    }
    return body;
  }

  // Apollo-style text form of a plan: Sequence { Fetch(service: "x") { ... } } ...
  function indent(text, prefix) {
    return text.split("\n").map(function (line) { return line ? prefix + line : line; }).join("\n");
  }
  function printNode(node) {
    if (!node) return "";
    switch (node.kind) {
      case "Fetch": {
        var head = 'Fetch(service: "' + node.serviceName + '")';
        var parts = [];
        if (node.requires) parts.push("{\n" + indent(node.requires.map(printSelection).join("\n"), "  ") + "\n} =>");
        parts.push(node.operation.trim());
        return head + " {\n" + indent(parts.join("\n"), "  ") + "\n}";
      }
      case "Flatten":
        return 'Flatten(path: "' + node.path.join(".") + '") {\n' + indent(printNode(node.node), "  ") + "\n}";
      case "Sequence":
      case "Parallel":
        return node.kind + " {\n" + indent(node.nodes.map(printNode).join(",\n"), "  ") + "\n}";
      case "Condition": {
        var out = "Include(if: $" + node.condition + ") {\n" + indent(printNode(node.ifClause), "  ") + "\n}";
        if (node.elseClause) out += " Else {\n" + indent(printNode(node.elseClause), "  ") + "\n}";
        return out;
      }
      case "Subscription": {
        var primary = node.primary.kind === "EventSource" ?
          'EventSource(service: "' + node.primary.serviceName + '", subjects: ' + JSON.stringify(node.primary.subjects) +
            ") {\n" + indent(node.primary.operation.trim(), "  ") + "\n}" :
          printNode(node.primary);
        var text = "Subscription {\n  Primary: {\n" + indent(primary, "    ") + "\n  }";
        if (node.rest) text += ",\n  Rest: {\n" + indent(printNode(node.rest), "    ") + "\n  }";
        return text + "\n}";
      }
      default:
        return JSON.stringify(node, null, 2);
    }
  }
  function printSelection(selection) {
    var children = selection.selections || [];
    var name = selection.kind === "InlineFragment" ? "... on " + selection.typeCondition : selection.name;
    if (!children.length) return name;
    return name + " {\n" + indent(children.map(printSelection).join("\n"), "  ") + "\n}";
  }
  function printPlan(plan) {
    return "QueryPlan {\n" + indent(plan.node ? printNode(plan.node) : "", "  ") + "\n}";
  }

  function QueryPlanPanel() {
    var forceUpdate = React.useReducer(function (x) { return x + 1; }, 0)[1];
    var asJson = React.useState(false);
    React.useEffect(function () {
      planState.listeners.push(forceUpdate);
      return function () {
        planState.listeners = planState.listeners.filter(function (l) { return l !== forceUpdate; });
      };
    }, []);
    if (!config.queryPlanHeader) {
      return h("div", { className: "gateway-query-plan" },
        h("div", { className: "graphiql-doc-explorer-title" }, "Query plan"),
        h("p", null, "This gateway does not expose query plans: turn them on with expose_query_plan: true in gateway.yaml, GATEWAY_EXPOSE_QUERY_PLAN=true or fedgw serve --expose-query-plan."));
    }
    var plan = planState.plan;
    var text = plan ? (asJson[0] ? JSON.stringify(plan, null, 2) : printPlan(plan)) :
      "Run an operation to see its query plan here.";
    return h("div", { className: "gateway-query-plan" },
      h("div", { className: "graphiql-doc-explorer-title" }, "Query plan"),
      h("label", { style: { display: "block", margin: "8px 0" } },
        h("input", {
          type: "checkbox",
          checked: planState.askForPlan,
          onChange: function (event) { planState.askForPlan = event.target.checked; forceUpdate(); },
        }),
        " Ask the gateway for the plan"),
      h("label", { style: { display: "block", margin: "8px 0" } },
        h("input", { type: "checkbox", checked: asJson[0], onChange: function (e) { asJson[1](e.target.checked); } }),
        " Show as JSON"),
      h("pre", { "data-testid": "query-plan", style: { whiteSpace: "pre-wrap", fontSize: "12px" } }, text));
  }

  function PlanIcon() {
    return h("svg", { viewBox: "0 0 24 24", width: "1em", height: "1em", fill: "none", stroke: "currentColor",
      strokeWidth: 1.5, "aria-hidden": "true" },
      h("rect", { x: 3, y: 3, width: 7, height: 5 }), h("rect", { x: 14, y: 10, width: 7, height: 5 }),
      h("rect", { x: 3, y: 16, width: 7, height: 5 }), h("path", { d: "M6.5 8v8M10 18.5h4M17.5 10V5.5H10" }));
  }

  var plugins = [{ title: "Query plan", icon: PlanIcon, content: QueryPlanPanel }];
  // A first query that walks every service, so the plan panel has something to show straight away.
  var defaultQuery = [
    "# One query across the supergraph: open the Query plan panel (left) to see the subgraph fetches.",
    "{",
    "  orders(first: 5) {",
    "    edges {",
    "      node {",
    "        id",
    "        status",
    "        total { amount currency }",
    "        customer {",
    "          __typename",
    "          ... on User { name orderCount }",
    "          ... on Guest { email }",
    "        }",
    "        items { quantity product { name price { amount currency } stock } }",
    "      }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(h(GraphiQL, {
    fetcher: fetcher,
    plugins: plugins,
    defaultQuery: defaultQuery,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false,
  }));
})();
