/* Unit code suggestions (core/templates/core/_unit_field.html): as a code is typed, the
   site's codes that start with it fill the field's <datalist>. The browser shows and
   navigates the list (arrow keys, Enter), so no custom widget is needed. Loaded once per
   page even when several fields include it. */
(function () {
  "use strict";
  if (window.frontdeskUnitSuggest) { return; }
  window.frontdeskUnitSuggest = true;

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    if (!list) { return; }
    input.addEventListener("input", function () {
      var text = input.value.trim();
      clearTimeout(timer);
      if (!text || text === asked) { return; }
      // A short pause, so a fast typist sends one request, not one per key.
      timer = setTimeout(function () {
        asked = text;
        fetch(input.dataset.unitSuggest + "?q=" + encodeURIComponent(text), {
          credentials: "same-origin", headers: { "Accept": "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : { items: [] };
        }).then(function (data) {
          if (asked !== text) { return; }  // a later request owns the list
          list.replaceChildren.apply(list, (data.items || []).map(function (unit) {
            var option = document.createElement("option");
            option.value = unit.code;
            option.label = [unit.code, unit.building, unit.name].filter(Boolean).join(" · ");
            return option;
          }));
        }).catch(function () { /* suggestions are a help: the field still works without them */ });
      }, 150);
    });
  }

  function start() {
    document.querySelectorAll("input[data-unit-suggest]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
