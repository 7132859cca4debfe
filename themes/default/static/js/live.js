/* Live pages: a region marked data-live-site listens to its site's server-sent events
   and refreshes itself (re-fetching this page and swapping the region) when something
   changes. Several events in a burst cause one refresh. Forms being typed in are left
   alone until they are submitted. A "resync" event (the stream was away longer than the
   server's event log reaches back) refreshes the region too.
   data-live-match="unit_id=12" (optional) keeps a record's page from refreshing for the
   rest of the site: an event whose data has that key refreshes only with that value
   (events without the key still refresh). The region carries data-live-connected while
   the stream is up, and data-live-refreshed counts its refreshes (tests wait on it). */
(function () {
  "use strict";
  // One EventSource per site for the whole page: the live region, the bell and a record's
  // message history (messages.js) all listen on it.
  var sources = {};
  window.Frontdesk = window.Frontdesk || {};
  window.Frontdesk.liveSource = function (site) {
    if (!site || !window.EventSource) { return null; }
    if (!sources[site]) { sources[site] = new EventSource("/api/v1/sites/" + encodeURIComponent(site) + "/events"); }
    return sources[site];
  };
  var region = document.querySelector("[data-live-region][data-live-site]");
  if (!region || !window.EventSource) { return; }
  var site = region.getAttribute("data-live-site");
  var pending = null;

  function busy() {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function refresh() {
    pending = null;
    if (busy()) { pending = setTimeout(refresh, 2000); return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-region]");
        if (fresh) {
          region.innerHTML = fresh.innerHTML;
          if (window.Frontdesk && window.Frontdesk.formatLocalTimes) { window.Frontdesk.formatLocalTimes(region); }
          region.setAttribute("data-live-refreshed", String(Number(region.getAttribute("data-live-refreshed") || 0) + 1));
          region.dispatchEvent(new CustomEvent("frontdesk:refreshed", { bubbles: true }));
        }
      })
      .catch(function () { /* the next event tries again */ });
  }

  function schedule() {
    if (!pending) { pending = setTimeout(refresh, 300); }
  }

  var match = (region.getAttribute("data-live-match") || "").split("=");
  function concerns(event) {
    if (match.length !== 2 || !event.data) { return true; }
    try {
      var data = JSON.parse(event.data);
      return !(data && typeof data === "object" && match[0] in data) || String(data[match[0]]) === match[1];
    } catch (error) {
      return true;  // not JSON: refresh rather than miss it
    }
  }

  var source = window.Frontdesk.liveSource(site);
  // Which events refresh the region: data-live-events="hotel.room.changed,task.created"
  // names them; without it, task and handover events do.
  var names = (region.getAttribute("data-live-events") ||
    "task.created,task.transitioned,task.assigned,task.commented,task.overdue,handover.written").split(",");
  names.forEach(function (name) {
    source.addEventListener(name.trim(), function (event) { if (concerns(event)) { schedule(); } });
  });
  // The stream came back after missing more than the server keeps: whatever changed
  // meanwhile, the region shows it. (Missed events it could replay arrive as events.)
  source.addEventListener("resync", schedule);
  // Connected once the stream is open (the source may be shared and open already).
  if (source.readyState === 1) { region.setAttribute("data-live-connected", "true"); }
  source.addEventListener("open", function () { region.setAttribute("data-live-connected", "true"); });
  source.addEventListener("error", function () { region.removeAttribute("data-live-connected"); });
})();
