/* The bell and a record's message history, live on the page's event stream (live.js).
   - [data-bell]: the unread count goes up on each "notification" event meant for this
     user, and a small toast shows the notice's subject for a few seconds.
   - [data-message-history]: on a "message.status" event about its record
     (data-history-subject="plugin.kind:id") the list is re-fetched and swapped. */
(function () {
  "use strict";
  var live = window.Frontdesk && window.Frontdesk.liveSource;
  if (!live) { return; }

  function toast(text) {
    var box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(function () { if (box.parentNode) { box.parentNode.removeChild(box); } }, 6000);
  }

  var bell = document.querySelector("[data-bell][data-bell-site]");
  if (bell) {
    var source = live(bell.getAttribute("data-bell-site"));
    if (source) {
      source.addEventListener("notification", function (event) {
        var count = bell.querySelector("[data-bell-count]");
        var data = {};
        try { data = JSON.parse(event.data); } catch (error) { /* a bare ping */ }
        if (count) {
          count.textContent = String((parseInt(count.textContent, 10) || 0) + 1);
          count.hidden = false;
        }
        if (data.subject || data.body) { toast(data.subject || data.body); }
      });
      source.addEventListener("open", function () { bell.setAttribute("data-bell-connected", "true"); });
    }
  }

  document.querySelectorAll("[data-message-history][data-history-site]").forEach(function (region) {
    var source = live(region.getAttribute("data-history-site"));
    var subject = region.getAttribute("data-history-subject");
    if (!source) { return; }
    var pending = null;
    function refresh() {
      pending = null;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector('[data-message-history][data-history-subject="' + subject + '"]');
          if (fresh) { region.innerHTML = fresh.innerHTML; }
        })
        .catch(function () { /* the next event tries again */ });
    }
    source.addEventListener("message.status", function (event) {
      var data = {};
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data.subject === subject && !pending) { pending = setTimeout(refresh, 300); }
    });
    region.setAttribute("data-history-connected", "true");
  });
})();
