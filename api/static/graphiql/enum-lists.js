// List-of-enum arguments in the GraphiQL explorer (graphiql-explorer leaves list types as a
// TODO): adding such an argument gives a one-item list, and its values are offered as
// checkboxes, so the explorer writes `phases: [PHASE_3, PHASE_2]`. The explorer bundle hands
// list values to `render` (the patch in scripts/graphiql-assets).
(function () {
  "use strict";
  var graphql = window.GraphiQL.GraphQL;

  function enumOfList(type) {
    var unwrapped = graphql.isNonNullType(type) ? type.ofType : type;
    if (!graphql.isListType(unwrapped)) return null;
    var named = graphql.getNamedType(unwrapped);
    return graphql.isEnumType(named) ? named : null;
  }

  // graphiql-explorer's own defaults, plus a one-item list for a list of enum values.
  function defaultValue(parentField, arg, argType) {
    var enumType = enumOfList(arg.type);
    if (enumType) {
      return { kind: "ListValue", values: [{ kind: "EnumValue", value: enumType.getValues()[0].name }] };
    }
    if (graphql.isEnumType(argType)) return { kind: "EnumValue", value: argType.getValues()[0].name };
    switch (argType.name) {
      case "Float":
        return { kind: "FloatValue", value: "1.5" };
      case "Int":
        return { kind: "IntValue", value: "10" };
      case "Boolean":
        return { kind: "BooleanValue", value: false };
      default:
        return { kind: "StringValue", value: "" };
    }
  }

  function render(React, enumType, listValue, setArgValue) {
    var chosen = {};
    listValue.values.forEach(function (value) {
      if (value.kind === "EnumValue") chosen[value.value] = true;
    });
    function toggle(name) {
      var next = Object.assign({}, chosen);
      next[name] = !next[name];
      var values = enumType.getValues().filter(function (value) {
        return next[value.name];
      });
      setArgValue({
        kind: "ListValue",
        values: values.map(function (value) {
          return { kind: "EnumValue", value: value.name };
        }),
      });
    }
    return React.createElement(
      "span",
      { className: "enum-list", role: "group", "aria-label": enumType.name + " values" },
      enumType.getValues().map(function (value) {
        return React.createElement(
          "label",
          { key: value.name, className: "enum-list-value", title: value.description || value.name },
          React.createElement("input", {
            type: "checkbox",
            checked: Boolean(chosen[value.name]),
            "data-enum-value": value.name,
            onChange: function () {
              toggle(value.name);
            },
          }),
          " " + value.name
        );
      })
    );
  }

  window.GraphiQLEnumLists = { defaultValue: defaultValue, render: render };
})();
