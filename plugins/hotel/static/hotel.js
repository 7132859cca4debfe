/* The live room board: each hotel.room.changed event recolours its tile in place and
   moves the counts, without reloading. A filtered board (floor, code, section) hides a
   tile that stops matching and recounts "N of M rooms"; a floor with no tile left is
   hidden too. The stream is the page's shared one (live.js, Frontdesk.liveSource).
   Arrow keys move between tiles. */
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

  // "N of M rooms": the number of tiles shown, in the sentence the server translated.
  function recount() {
    var shown = 0;
    board.querySelectorAll(".hotel-floor").forEach(function (floor) {
      var visible = floor.querySelectorAll(".hotel-tile:not([hidden])").length;
      floor.hidden = visible === 0;
      shown += visible;
    });
    var text = board.querySelector("[data-board-shown]");
    if (text && text.getAttribute("data-template")) {
      text.textContent = text.getAttribute("data-template").replace("{shown}", String(shown));
    }
  }

  function reload() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        // Ticked tiles stay ticked across the reload (the board's selection).
        var ticked = {};
        board.querySelectorAll("[data-bulk-room]:checked").forEach(function (box) {
          ticked[box.closest("[data-room-id]").getAttribute("data-room-id")] = true;
        });
        ["[data-board-grid]", ".hotel-counts", "[data-board-shown]"].forEach(function (selector) {
          var fresh = doc.querySelector(selector);
          var here = board.querySelector(selector);
          if (fresh && here) { here.innerHTML = fresh.innerHTML; }
        });
        board.querySelectorAll("[data-bulk-room]").forEach(function (box) {
          box.checked = !!ticked[box.closest("[data-room-id]").getAttribute("data-room-id")];
        });
        recount();
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
    // A ticked tile sends the version now shown: the attendant sees the new code before acting.
    var box = tile.querySelector("[data-bulk-room]");
    if (box) { box.value = room.id + ":" + room.version; }
    tile.hidden = !matches(room);
    // A room that left the filter leaves the selection too: no change to a room out of sight.
    if (box && tile.hidden) { box.checked = false; }
    recount();
    var text = tile.querySelector("[data-code-text]");
    if (text) { text.textContent = room.code; }
    tile.classList.add("hotel-changed");
    setTimeout(function () { tile.classList.remove("hotel-changed"); }, 1500);
  }

  var source = window.Frontdesk && window.Frontdesk.liveSource ? window.Frontdesk.liveSource(site) : null;
  if (source) {
    source.addEventListener("hotel.room.changed", function (event) {
      try { apply(JSON.parse(event.data)); } catch (error) { /* a malformed event is skipped */ }
    });
    // Back after missing more changes than the server keeps: the whole board from the server.
    source.addEventListener("resync", reload);
    function connected() {
      board.setAttribute("data-live-connected", "true");
      say("[data-live-text-connected]");
    }
    if (source.readyState === 1) { connected(); }  // shared with the bell: maybe open already
    source.addEventListener("open", connected);
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
    // A selecting board's tiles are labels: the tick box inside takes the focus.
    if (next) { (next.querySelector("[data-bulk-room]") || next).focus(); event.preventDefault(); }
  });
})();
