/*
 * Frontdesk – the menu button on phones and tablets (see nav.css).
 *
 * Without this file the button is a link to #site-menu, which CSS shows (:target). With
 * it, the link behaves as a disclosure button: Enter or Space opens and closes the
 * navigation panel, aria-expanded says which, Escape closes it and returns to the button.
 * Loaded with <script defer>; no inline script is allowed by the CSP.
 */
(function () {
  "use strict";

  var toggle = document.querySelector("[data-menu-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!toggle || !menu) {
    return;
  }

  toggle.setAttribute("role", "button");
  toggle.setAttribute("aria-expanded", "false");

  function setOpen(open) {
    menu.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function flip(event) {
    event.preventDefault(); // no #site-menu in the address: the class decides, not :target
    setOpen(!menu.classList.contains("is-open"));
  }

  toggle.addEventListener("click", flip);
  toggle.addEventListener("keydown", function (event) {
    if (event.key === " ") { // a link knows Enter; a button also answers Space
      flip(event);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
})();
