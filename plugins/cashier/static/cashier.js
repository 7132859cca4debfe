// Cashier pages: running totals of denomination grids, keyboard shortcuts on the entry form.
(function () {
  "use strict";

  function decimalsOf(label) {
    var dot = label.indexOf(".");
    return dot < 0 ? 0 : label.length - dot - 1;
  }

  // Exact sums in hundredths of the unit (integers), never floating-point money.
  function toCents(label) {
    var parts = label.split(".");
    var whole = parseInt(parts[0], 10) || 0;
    var frac = parts[1] ? parseInt((parts[1] + "00").slice(0, 2), 10) : 0;
    return whole * 100 + frac;
  }

  function fmt(cents) {
    var sign = cents < 0 ? "-" : "";
    cents = Math.abs(cents);
    return sign + Math.floor(cents / 100) + "." + String(cents % 100).padStart(2, "0");
  }

  document.querySelectorAll("[data-count-grid]").forEach(function (grid) {
    function update() {
      var total = 0;
      grid.querySelectorAll("input[data-denomination]").forEach(function (input) {
        var pieces = parseInt(input.value, 10);
        var line = input.closest("tr").querySelector("[data-line-total]");
        if (isNaN(pieces) || pieces < 0) { line.textContent = ""; return; }
        var cents = toCents(input.getAttribute("data-denomination")) * pieces;
        line.textContent = fmt(cents);
        total += cents;
      });
      grid.querySelector("[data-count-total]").textContent = fmt(total);
    }
    grid.addEventListener("input", update);
    update();
  });

  var form = document.getElementById("entry-form");
  if (form) {
    var kinds = { s: "sale", r: "refund", i: "paid_in", o: "paid_out" };
    var methods = ["cash", "card", "mobile", "voucher", "other"];
    document.addEventListener("keydown", function (event) {
      if (!event.altKey) { return; }
      var key = event.key.toLowerCase();
      if (kinds[key]) {
        form.querySelector("#kind").value = kinds[key];
      } else if (key >= "1" && key <= "5") {
        form.querySelector("#method").value = methods[parseInt(key, 10) - 1];
      } else {
        return;
      }
      event.preventDefault();
      form.querySelector("#amount").focus();
    });
    // One submission per form: a double click sends the same key, and the button locks.
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }
})();
