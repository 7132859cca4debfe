/*
 * Frontdesk – small progressive enhancements for every page.
 *
 * Every page works without this file; it only adds comfort:
 *   (a) <select data-autosubmit> submits its form on change;
 *   (b) <form data-confirm="Question?"> asks for confirmation before submitting;
 *   (c) [data-local-time="ISO 8601"] shows the time in the browser's time zone,
 *       formatted for the page language (skipped when the element has data-keep);
 *   (d) submit buttons are disabled after a submit to prevent double submits,
 *       and enabled again when the page comes back from the back/forward cache.
 *       Opt out per form with data-allow-resubmit (e.g. forms that start a download).
 *   (e) table.cards: each body cell without data-label gets its column header's text,
 *       which the theme shows before the value when the table becomes cards on a phone.
 *
 * Loaded with <script defer>; no inline script is allowed by the CSP.
 */
(function () {
  "use strict";

  var DISABLED_MARK = "frontdeskDisabled"; // data-frontdesk-disabled on buttons we disabled

  /* ---------- (a) auto-submitting selects ---------- */

  document.addEventListener("change", function (event) {
    var select = event.target;
    // A select, or a tick box (the task sheet's "done"), marked data-autosubmit.
    var control = select instanceof HTMLSelectElement ||
      (select instanceof HTMLInputElement && select.type === "checkbox");
    if (!control || !select.hasAttribute("data-autosubmit") || !select.form) {
      return;
    }
    // requestSubmit() fires the submit event (so (b) and (d) apply) and runs validation.
    if (typeof select.form.requestSubmit === "function") {
      select.form.requestSubmit();
    } else {
      select.form.submit();
    }
  });

  /* ---------- (b) confirmation and (d) double-submit protection ---------- */

  function submitControls(form) {
    // form.elements also covers buttons outside the form that use the form="" attribute.
    return Array.prototype.filter.call(form.elements, function (el) {
      return el instanceof HTMLButtonElement ||
        (el instanceof HTMLInputElement && /^(submit|image|button|reset)$/.test(el.type));
    });
  }

  function disableControls(form) {
    submitControls(form).forEach(function (el) {
      if (!el.disabled) {
        el.disabled = true;
        el.dataset[DISABLED_MARK] = "";
      }
    });
    form.setAttribute("aria-busy", "true");
  }

  function enableControls() {
    document.querySelectorAll("[data-frontdesk-disabled]").forEach(function (el) {
      el.disabled = false;
      delete el.dataset[DISABLED_MARK];
    });
    document.querySelectorAll("form[aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }

    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }

    if (form.hasAttribute("data-allow-resubmit") || (form.target && form.target !== "_self") ||
        (form.getAttribute("method") || "").toLowerCase() === "dialog") {
      return;
    }

    // Wait one tick: the browser builds the form data after this event, and a disabled
    // submitter would lose its name=value. Also respects other handlers that cancel.
    window.setTimeout(function () {
      if (!event.defaultPrevented) {
        disableControls(form);
      }
    }, 0);
  });

  // Back/forward cache restores the page as it was left, i.e. with disabled buttons.
  window.addEventListener("pageshow", enableControls);

  /* ---------- (c) local times ---------- */

  function pageLocale() {
    var lang = document.documentElement.lang;
    try {
      return Intl.DateTimeFormat.supportedLocalesOf(lang).length ? lang : undefined;
    } catch (error) {
      return undefined; // empty or malformed lang attribute: use the browser default
    }
  }

  var STYLES = {
    date: { dateStyle: "medium" },
    time: { timeStyle: "short" },
    datetime: { dateStyle: "medium", timeStyle: "short" }
  };

  /** Rewrite [data-local-time] elements under root (default: the whole document). */
  function formatLocalTimes(root) {
    var locale = pageLocale();
    var formatters = {};
    (root || document).querySelectorAll("[data-local-time]:not([data-keep])").forEach(function (el) {
      var date = new Date(el.getAttribute("data-local-time"));
      if (isNaN(date.getTime())) {
        return; // keep the server-rendered text
      }
      // Optional data-local-time-style="date|time|datetime" (default: datetime).
      var style = STYLES[el.getAttribute("data-local-time-style")] ? el.getAttribute("data-local-time-style") : "datetime";
      formatters[style] = formatters[style] || new Intl.DateTimeFormat(locale, STYLES[style]);
      el.textContent = formatters[style].format(date);
      if (el instanceof HTMLTimeElement && !el.hasAttribute("datetime")) {
        el.setAttribute("datetime", date.toISOString());
      }
    });
  }

  formatLocalTimes();

  /* ---------- (e) card labels ---------- */

  /** Give table.cards body cells under root their column header's text as data-label. */
  function labelCards(root) {
    (root || document).querySelectorAll("table.cards").forEach(function (table) {
      var heads = table.tHead && table.tHead.rows.length ? table.tHead.rows[0].cells : [];
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var head = heads[column];
            if (!cell.hasAttribute("data-label") && head && cell.colSpan === 1) {
              cell.setAttribute("data-label", head.textContent.trim());
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  labelCards();
  // Live regions swap their content: label the new rows too.
  document.addEventListener("frontdesk:refreshed", function (event) { labelCards(event.target); });

  /* ---------- (f) scrolling table wrappers ---------- */

  /** A .table-wrap that scrolls sideways takes the focus (tabindex 0, a named region), so a
      keyboard user can scroll it with the arrow keys (WCAG 2.1.1; axe's
      scrollable-region-focusable). One that fits stays out of the tab order. */
  function focusScrollers(root) {
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        if (!wrap.hasAttribute("role")) wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) {
          var table = wrap.querySelector("table");
          var caption = table && table.caption ? table.caption.textContent : "";
          var heading = table && table.tHead && table.tHead.rows.length ? table.tHead.rows[0].cells[0].textContent : "";
          wrap.setAttribute("aria-label", (caption || heading || document.title).trim());
        }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
      }
    });
  }

  focusScrollers();
  window.addEventListener("resize", function () { focusScrollers(); });
  document.addEventListener("frontdesk:refreshed", function (event) { focusScrollers(event.target); });

  // For content inserted later by page-specific scripts.
  window.Frontdesk = window.Frontdesk || {};
  window.Frontdesk.formatLocalTimes = formatLocalTimes;
  window.Frontdesk.labelCards = labelCards;
})();
