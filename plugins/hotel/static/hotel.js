/* The live room board: each hotel.room.changed event recolours its tile in place and
   moves the counts, without reloading. Arrow keys move between tiles. */
(function () {
  "use strict";
  var board = document.querySelector("[data-hotel-board]");
  if (!board) { return; }
  var site = board.getAttribute("data-site");
  var state = board.querySelector("[data-live-state]");

  function say(selector) {
    var text = board.querySelector(selector);
    if (state && text) { state.textContent = text.textContent; }
  }

  function matches(room) {
    var code = board.getAttribute("data-code-filter");
    var floor = board.getAttribute("data-floor-filter");
    var section = board.getAttribute("data-section-filter");
    return (!code || room.code === code) && (!floor || String(room.floor) === floor) &&
      (!section || room.section === section);
  }

  function reload() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["[data-board-grid]", ".hotel-counts"].forEach(function (selector) {
          var fresh = doc.querySelector(selector);
          var here = board.querySelector(selector);
          if (fresh && here) { here.innerHTML = fresh.innerHTML; }
        });
      })
      .catch(function () { /* the next event tries again */ });
  }

  function apply(room) {
    var tile = board.querySelector('[data-room-id="' + room.id + '"]');
    if (!tile) { reload(); return; }  // filtered out: counts and tiles come from the server
    var old = tile.getAttribute("data-code");
    if (Number(tile.getAttribute("data-version")) >= room.version) { return; }
    var flags = (room.do_not_disturb ? "d" : "") + (room.service_refused ? "r" : "");
    if (flags !== (tile.getAttribute("data-flags") || "")) { reload(); return; }  // DND / refused: words from the server
    if (old !== room.code) {
      var before = old && board.querySelector('[data-count="' + old + '"]');
      var after = board.querySelector('[data-count="' + room.code + '"]');
      if (before) { before.textContent = Math.max(0, Number(before.textContent) - 1); }
      if (after) { after.textContent = Number(after.textContent) + 1; }
    }
    tile.classList.remove("code-" + old);
    tile.classList.add("code-" + room.code);
    tile.setAttribute("data-code", room.code);
    tile.setAttribute("data-version", room.version);
    tile.hidden = !matches(room);
    var text = tile.querySelector("[data-code-text]");
    if (text) { text.textContent = room.code; }
    tile.classList.add("hotel-changed");
    setTimeout(function () { tile.classList.remove("hotel-changed"); }, 1500);
  }

  if (window.EventSource) {
    var source = new EventSource("/api/v1/sites/" + encodeURIComponent(site) + "/events");
    source.addEventListener("hotel.room.changed", function (event) {
      try { apply(JSON.parse(event.data)); } catch (error) { /* a malformed event is skipped */ }
    });
    // Back after missing more changes than the server keeps: the whole board from the server.
    source.addEventListener("resync", reload);
    source.addEventListener("open", function () {
      board.setAttribute("data-live-connected", "true");
      say("[data-live-text-connected]");
    });
    source.addEventListener("error", function () {
      board.removeAttribute("data-live-connected");
      say("[data-live-text-lost]");
    });
  }

  board.addEventListener("keydown", function (event) {
    var tile = event.target.closest && event.target.closest(".hotel-tile");
    if (!tile) { return; }
    var tiles = Array.prototype.filter.call(board.querySelectorAll(".hotel-tile"), function (t) { return !t.hidden; });
    var index = tiles.indexOf(tile);
    var step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10 }[event.key];
    if (!step || index < 0) { return; }
    var next = tiles[Math.min(tiles.length - 1, Math.max(0, index + step))];
    if (next) { next.focus(); event.preventDefault(); }
  });
})();
