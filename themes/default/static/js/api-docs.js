/*
 * Frontdesk – API reference page.
 *
 * Mounts Swagger UI into #swagger-ui. The bundle (vendor/swagger-ui/swagger-ui-bundle.js)
 * is loaded by its own deferred <script> placed before this one, so the global
 * SwaggerUIBundle exists by the time this runs. No inline script: the CSP is script-src 'self'.
 */
(function () {
  "use strict";

  function mount() {
    var element = document.getElementById("swagger-ui");
    if (!element) {
      return;
    }
    if (typeof window.SwaggerUIBundle !== "function") {
      element.textContent = "The API reference viewer could not be loaded.";
      return;
    }
    window.SwaggerUIBundle({
      url: element.dataset.specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      // No call to the public validator service: the CSP (connect-src 'self') blocks it anyway.
      validatorUrl: null
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
