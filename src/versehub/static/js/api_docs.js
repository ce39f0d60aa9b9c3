// Starts Swagger UI on the element that names the spec URL (no inline script: strict CSP),
// with a plugin that fixes what axe reports on Swagger UI's own markup.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }

  // Each operation's path is a link inside the operation's expand button: a link nested in a
  // button (axe nested-interactive) and a 19 px target. Deep links keep working without it
  // (opening an operation still writes #/tag/operation into the address bar).
  function accessibleMarkup(system) {
    var React = system.React;
    return {
      wrapComponents: {
        DeepLink: function (Original) {
          return function (props) {
            return React.createElement(Original, Object.assign({}, props, { enabled: false }));
          };
        },
      },
    };
  }

  // Small fixes on markup Swagger UI renders (attributes React does not manage, so they stay):
  // - a scrolling code sample must take keyboard focus (axe scrollable-region-focusable);
  // - Swagger UI's title is an h1, but the page has its own: it becomes a level-2 heading;
  // - the sprite of icon definitions is not an image;
  // - a parameter's field in "Try it out" is named after the parameter (selects had no name).
  function fixMarkup(scope) {
    scope.querySelectorAll("pre.microlight:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
    });
    scope.querySelectorAll(".info h1.title:not([aria-level])").forEach(function (title) {
      title.setAttribute("aria-level", "2");
    });
    scope.querySelectorAll("svg.svg-assets:not([aria-hidden])").forEach(function (sprite) {
      sprite.setAttribute("aria-hidden", "true");
    });
    scope.querySelectorAll("tr[data-param-name]").forEach(function (row) {
      var name = row.getAttribute("data-param-name");
      row.querySelectorAll("input, select, textarea").forEach(function (field) {
        if (!field.hasAttribute("aria-label")) {
          field.setAttribute("aria-label", name);
        }
      });
    });
  }

  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [accessibleMarkup],
    layout: "BaseLayout",
    tryItOutEnabled: false,
    syntaxHighlight: { activated: false },
    onComplete: function () {
      fixMarkup(root);
      new MutationObserver(function () {
        fixMarkup(root);
      }).observe(root, { childList: true, subtree: true });
      root.setAttribute("data-ready", "true");
    },
  });
})();
