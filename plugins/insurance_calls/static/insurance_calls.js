/* Phone desk quick entry: caller history on entry (screen pop), per-type required fields,
   Ctrl+Enter to log. No inline script (CSP). */
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  var panel = document.getElementById("caller-history");
  if (!form || !panel) { return; }
  var site = form.getAttribute("data-site");
  var body = document.getElementById("history-body");
  var required = JSON.parse(form.getAttribute("data-required") || "{}");
  var timer = null;
  var lastKey = "";
  var sequence = 0;
  // What the history or a screen pop put into a field: replaced by the next caller's, kept
  // once the agent typed over it.
  var prefilled = {};
  function fill(name, text) {
    var input = form[name];
    if (!input || !text) { return; }
    if (!input.value || input.value === prefilled[name]) { input.value = text; prefilled[name] = text; }
  }

  function label(name) { return panel.getAttribute("data-label-" + name) || ""; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  // Times on the site's clock (data-timezone), as the server's local filter prints them
  // ("2026-12-01 16:40"), not in the browser's zone.
  function when(text) {
    if (!text) { return ""; }
    var date = new Date(text);
    if (isNaN(date)) { return text; }
    try {
      return new Intl.DateTimeFormat("sv-SE", {timeZone: panel.getAttribute("data-timezone") || undefined,
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"}).format(date);
    } catch (error) {
      return date.toLocaleString();
    }
  }

  function query() {
    var phone = form.phone.value.replace(/[^\d+]/g, "");
    var plate = form.plate.value.replace(/[\s·.\-]/g, "");
    var policy = form.policy_no.value.replace(/[\s\-]/g, "");
    if (phone.replace("+", "").length >= 7) { return "phone=" + encodeURIComponent(phone); }
    if (plate.length >= 5) { return "plate=" + encodeURIComponent(plate); }
    if (policy.length >= 10) { return "policy_no=" + encodeURIComponent(policy); }
    return "";
  }

  function render(data) {
    body.textContent = "";
    if (data.caller_name) {
      body.appendChild(el("p", "ic-greet", label("greet").replace("{name}", data.caller_name)));
    }
    // The caller's name, plate and policy from their latest calls fill the fields left
    // empty (or still holding an earlier caller's pre-fill), never what the agent typed.
    ["caller_name", "plate", "policy_no"].forEach(function (name) { fill(name, data[name]); });
    var banner = el("p", data.repeat_caller ? "ic-repeat banner warning" : "ic-first banner info",
      data.repeat_caller ? label("repeat").replace("{count}", data.calls_last_30_days) : label("first"));
    banner.setAttribute("data-repeat", data.repeat_caller ? "true" : "false");
    body.appendChild(banner);
    if (data.complaints.length) {
      body.appendChild(el("h3", "", label("complaints")));
      var complaints = el("ul", "ic-complaints");
      data.complaints.forEach(function (task) {
        var item = el("li");
        var link = el("a", "", task.title);
        link.href = "/sites/" + site + "/tasks/" + task.id;
        item.appendChild(link);
        item.appendChild(el("span", "status status-" + task.status, " " + (label("status-" + task.status) || task.status)));
        complaints.appendChild(item);
      });
      body.appendChild(complaints);
    }
    if (data.open_tasks.length) {
      body.appendChild(el("h3", "", label("tasks")));
      var tasks = el("ul", "ic-tasks");
      data.open_tasks.forEach(function (task) {
        var item = el("li");
        var link = el("a", "", task.title);
        link.href = "/sites/" + site + "/tasks/" + task.id;
        item.appendChild(link);
        item.appendChild(el("span", task.overdue ? "badge" : "ic-due", " " + label("due") + " " + when(task.due_at)));
        tasks.appendChild(item);
      });
      body.appendChild(tasks);
    }
    body.appendChild(el("h3", "", label("calls")));
    if (!data.calls.length) {
      body.appendChild(el("p", "ic-empty", label("empty")));
      return;
    }
    var list = el("ol", "ic-calls");
    data.calls.forEach(function (call) {
      var item = el("li");
      item.appendChild(el("time", "", when(call.started_at)));
      var typeOption = form.call_type.querySelector("option[value='" + call.call_type + "']");
      item.appendChild(el("strong", "", " " + (typeOption ? typeOption.textContent : call.call_type) + " "));
      item.appendChild(el("span", "", call.summary + (call.answer ? " → " + call.answer : "")));
      list.appendChild(item);
    });
    body.appendChild(list);
  }

  function lookup() {
    var key = query();
    if (!key || key === lastKey) { return; }
    lastKey = key;
    var mine = ++sequence;
    fetch("/api/v1/sites/" + site + "/insurance/lookup?" + key, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (mine === sequence) { panel.setAttribute("data-loaded", key); render(data); }
    }).catch(function () {
      if (mine === sequence) { body.textContent = ""; body.appendChild(el("p", "form-errors", label("error"))); lastKey = ""; }
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 250);
  }
  ["phone", "plate", "policy_no"].forEach(function (name) {
    form[name].addEventListener("input", schedule);
    form[name].addEventListener("change", lookup);
  });

  function markRequired() {
    var names = required[form.call_type.value] || [];
    ["plate", "policy_no", "caller_name"].forEach(function (name) {
      form[name].required = names.indexOf(name) >= 0;
    });
    Array.prototype.forEach.call(form.querySelectorAll(".ic-type-field"), function (box) {
      var needed = names.indexOf(box.getAttribute("data-field")) >= 0;
      box.classList.toggle("ic-needed", needed);
      box.querySelector("input").required = needed;
    });
  }
  form.call_type.addEventListener("change", markRequired);
  markRequired();

  function markFollowUp() {
    form.follow_up_at.required = form.outcome.value === "follow_up";
    form.follow_up_at.closest(".field").classList.toggle("ic-needed", form.follow_up_at.required);
  }
  form.outcome.addEventListener("change", markFollowUp);
  markFollowUp();

  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (form.reportValidity()) { form.submit(); }
    }
  });
  if (query()) { lookup(); }

  /* Screen pop: the telephone system's ringing event reaches this agent's live stream
     (insurance_calls.screen_pop, sent to this agent only) with the caller's history; the
     form is pre-filled and carries the telephony call's id, so the call's start and end
     come from the telephone. answered/ended arrive as insurance_calls.telephony_call. */
  var incoming = document.getElementById("incoming-call");
  var popped = form.telephony_call_id;
  function screenPop(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (!data || !data.id) { return; }
    popped.value = String(data.id);
    var prefill = data.prefill || {};
    ["phone", "caller_name", "plate", "policy_no"].forEach(function (name) { fill(name, prefill[name]); });
    incoming.textContent = label("incoming").replace("{number}", data.caller || label("withheld"));
    incoming.hidden = false;
    incoming.setAttribute("data-telephony-call", String(data.id));
    if (data.history) {
      lastKey = query();
      sequence++;
      panel.setAttribute("data-loaded", "pop:" + data.id);
      render(data.history);
    } else if (query()) {
      lookup();
    }
    markRequired();
  }
  function callUpdate(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (!data || String(data.id) !== popped.value) { return; }
    var text = data.ended_at ? label("ended").replace("{time}", when(data.ended_at))
      : data.answered_at ? label("answered").replace("{time}", when(data.answered_at)) : "";
    if (text) {
      incoming.appendChild(document.createTextNode(" · " + text));
      incoming.setAttribute("data-state", data.ended_at ? "ended" : "answered");
    }
  }
  if (incoming && popped && window.EventSource) {
    var source = new EventSource("/api/v1/sites/" + encodeURIComponent(site) + "/events");
    source.addEventListener("insurance_calls.screen_pop", screenPop);
    source.addEventListener("insurance_calls.telephony_call", callUpdate);
    source.addEventListener("open", function () { form.setAttribute("data-pop-connected", "true"); });
  }
}());
