/* LeadOps workspace: the live connection shared by every workspace page.
 *
 * Opens /ws/notifications/ (reconnecting with backoff), sends a heartbeat (presence),
 * lets the rep switch between available and away, ticks every countdown on the page,
 * and alerts the rep - a short sound, a desktop notification (asked for once, from a
 * button) and a toast - for events about their own leads. Pages subscribe with
 * LeadOps.on(type, handler). Everything from the server is shown with textContent:
 * lead fields are never parsed as HTML. No libraries, no build step. */
(function () {
  "use strict";

  /* Text in the page's language: the JavaScript catalog (/jsi18n/, loaded by base.html)
   * translates it; without the catalog the English text stays. %(name)s takes values[name]. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }

  var config = JSON.parse(document.getElementById("live-config").textContent);
  var script = document.getElementById("live-script");
  var handlers = {};
  var socket = null;
  var heartbeatTimer = null;
  var retries = 0;
  var everConnected = false;
  var audio = null;
  var ASKED_KEY = "leadops.alerts.asked";
  var stats = { events: [], sounds: 0, notifications: 0, rows: {} };

  function on(type, handler) {
    (handlers[type] = handlers[type] || []).push(handler);
  }

  function emit(event) {
    var list = (handlers[event.type] || []).concat(handlers["*"] || []);
    list.forEach(function (handler) {
      try { handler(event); } catch (error) { console.error(error); }
    });
  }

  function socketUrl() {
    if (config.ws_url) { return config.ws_url + "/ws/notifications/"; }
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/notifications/";
  }

  function showLiveState(state, text) {
    var element = document.getElementById("live-state");
    if (element) { element.dataset.state = state; element.textContent = text; }
  }

  function showStatus(status) {
    var select = document.getElementById("my-status");
    if (select && status) {
      if (!select.querySelector('option[value="' + status + '"]')) {
        var option = document.createElement("option");
        option.value = status;
        option.textContent = status.charAt(0).toUpperCase() + status.slice(1);
        select.appendChild(option);
      }
      select.value = status;
      select.dataset.status = status;
    }
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); return true; }
    return false;
  }

  function startHeartbeat(seconds) {
    clearInterval(heartbeatTimer);
    heartbeatTimer = setInterval(function () { send({ type: "heartbeat" }); }, Math.max(5, seconds || 25) * 1000);
  }

  function connect() {
    showLiveState("connecting", _("connecting…"));
    socket = new WebSocket(socketUrl());
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (!event || typeof event.type !== "string") { return; }
      if (event.type === "hello") {
        var reconnected = everConnected;
        everConnected = true;
        retries = 0;
        showLiveState("live", _("live"));
        startHeartbeat(event.heartbeat);
        showStatus(event.status);
        if (reconnected) { emit({ type: "reconnected" }); }
        return;
      }
      if (event.type === "status") { showStatus(event.status); return; }
      if (event.type === "heartbeat") { return; }
      event.received_at = Date.now();
      stats.events.push({ type: event.type, lead: event.lead ? event.lead.id : null, at: event.received_at });
      if (stats.events.length > 500) { stats.events.shift(); }
      emit(event);
      alertIfMine(event);
    };
    socket.onclose = function () {
      clearInterval(heartbeatTimer);
      showLiveState("offline", _("reconnecting…"));
      retries += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, Math.min(retries, 6))));
    };
  }

  /* --- countdowns ------------------------------------------------------------------------- */

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function duration(ms) {
    var seconds = Math.round(Math.abs(ms) / 1000);
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (days) { return days + "d " + hours + "h"; }
    if (hours) { return hours + "h " + pad(minutes) + "m"; }
    return minutes + ":" + pad(seconds % 60);
  }

  function tickOne(element, now) {
    var due = Date.parse(element.dataset.due);
    if (isNaN(due)) { return; }
    var warn = element.dataset.warn ? Date.parse(element.dataset.warn) : NaN;
    var left = due - now;
    var state;
    var text;
    if (element.dataset.mode === "step") {
      state = left <= 0 ? "due" : "ok";
      text = left <= 0 ? _("due now") : _("in %(time)s", { time: duration(left) });
    } else {
      state = left < 0 ? "late" : (!isNaN(warn) && now >= warn ? "warn" : "ok");
      text = left < 0 ? _("overdue %(time)s", { time: duration(left) }) : _("%(time)s left", { time: duration(left) });
    }
    if (element.textContent !== text) { element.textContent = text; }
    if (element.dataset.state !== state) {
      element.dataset.state = state;
      var row = element.closest("tr");
      if (row) { row.dataset.clock = state; }
    }
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (element) { tickOne(element, now); });
  }

  /* --- alerts: sound, desktop notification, toast ------------------------------------------------ */

  function playSound() {
    stats.sounds += 1;
    try {
      audio = audio || new Audio(script.dataset.sound);
      audio.currentTime = 0;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    } catch (error) { /* no audio on this device */ }
  }

  function desktop(title, body, url, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    try {
      var notification = new Notification(title, { body: body, tag: tag });
      stats.notifications += 1;
      notification.onclick = function () { window.focus(); if (url) { location.href = url; } notification.close(); };
    } catch (error) { /* some browsers only notify from a service worker */ }
  }

  function toast(title, body, url, kind) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = document.createElement(url ? "a" : "div");
    item.className = "toast" + (kind ? " toast-" + kind : "");
    if (url) { item.href = url; }
    var strong = document.createElement("strong");
    strong.textContent = title;
    item.appendChild(strong);
    if (body) {
      var detail = document.createElement("span");
      detail.textContent = body;
      item.appendChild(detail);
    }
    box.appendChild(item);
    setTimeout(function () { item.classList.add("leaving"); }, 7000);
    setTimeout(function () { item.remove(); }, 8000);
    while (box.children.length > 4) { box.firstChild.remove(); }
  }

  function describe(lead) {
    var parts = [lead.company, lead.phone, lead.source_label];
    return parts.filter(function (part) { return part; }).join(" · ");
  }

  function safeLeadUrl(lead) { return "/leads/" + Number(lead.id) + "/"; }

  var TITLES = {
    "lead.assigned": function (lead) {
      var name = lead.name || "L-" + lead.id;
      if (lead.temperature === "hot") { return _("New hot lead: %(name)s", { name: name }); }
      if (lead.temperature === "warm") { return _("New warm lead: %(name)s", { name: name }); }
      if (lead.temperature === "cold") { return _("New cold lead: %(name)s", { name: name }); }
      return _("New lead: %(name)s", { name: name });
    },
    "lead.reassigned": function (lead) { return _("Lead for you: %(name)s", { name: lead.name || "L-" + lead.id }); },
    "task.due": function (lead, event) {
      var task = event.task || {};
      var named = { name: lead.name || "L-" + lead.id };
      return task.channel === "call" ? _("Call due: %(name)s", named) : _("Task due: %(name)s", named);
    },
    "sla.warning": function (lead) { return _("SLA almost gone: %(name)s", { name: lead.name || "L-" + lead.id }); },
    "sla.breached": function (lead) { return _("SLA breached: %(name)s", { name: lead.name || "L-" + lead.id }); },
    "meeting.booked": function (lead, event) { return _("Meeting booked: %(name)s", { name: lead.name || "L-" + lead.id }) + meetingTime(event); },
    "meeting.rescheduled": function (lead, event) { return _("Meeting moved: %(name)s", { name: lead.name || "L-" + lead.id }) + meetingTime(event); },
    "meeting.cancelled": function (lead, event) { return _("Meeting cancelled: %(name)s", { name: lead.name || "L-" + lead.id }) + meetingTime(event); },
  };

  function meetingTime(event) {
    var start = event.meeting && event.meeting.starts_at ? new Date(event.meeting.starts_at) : null;
    if (!start || isNaN(start.getTime())) { return ""; }
    return " · " + start.toLocaleString(document.documentElement.lang || [], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function alertIfMine(event) {
    var lead = event.lead;
    if (!lead || !TITLES[event.type]) { return; }
    if (lead.owner_id !== config.user_id) {
      if (event.type === "lead.reassigned" && event.previous_owner_id === config.user_id) {
        toast(lead.owner ? _("L-%(id)s moved to %(owner)s", { id: lead.id, owner: lead.owner }) : _("L-%(id)s moved to another rep", { id: lead.id }), lead.name, null, "muted");
      }
      return;
    }
    var title = TITLES[event.type](lead, event);
    var body = describe(lead);
    playSound();
    desktop(title, body, safeLeadUrl(lead), "lead-" + lead.id + "-" + event.type);
    toast(title, body, safeLeadUrl(lead), event.type.replace(".", "-"));
  }

  function setUpAlertsButton() {
    var button = document.getElementById("enable-alerts");
    if (!button || !("Notification" in window)) { return; }
    var asked = false;
    try { asked = localStorage.getItem(ASKED_KEY) === "1"; } catch (error) { asked = false; }
    if (Notification.permission !== "default" || asked) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      try { localStorage.setItem(ASKED_KEY, "1"); } catch (error) { /* private mode */ }
      button.hidden = true;
      audio = audio || new Audio(script.dataset.sound);  // the click also lets the page play sound
      Notification.requestPermission().then(function (answer) {
        toast(answer === "granted" ? _("Desktop alerts are on") : _("Desktop alerts stay off"),
          answer === "granted" ? _("New leads will pop up even when this tab is hidden.") : _("You can turn them on in the browser's site settings."));
      });
    });
  }

  function setUpStatus() {
    var select = document.getElementById("my-status");
    if (!select) { return; }
    select.addEventListener("change", function () {
      if (!send({ type: "status", status: select.value })) { showStatus(select.dataset.status); }
    });
  }

  /* Fetch this page again and swap the parts marked by `selectors` (after a reconnect, or
     when another page changed the lead). The HTML comes from our own server's templates. */
  function refreshParts(selectors) {
    return fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        selectors.forEach(function (selector) {
          var current = document.querySelector(selector);
          var replacement = fresh.querySelector(selector);
          if (current && replacement) { current.replaceWith(document.importNode(replacement, true)); }
        });
        tick();
      });
  }

  window.LeadOps = {
    config: config,
    on: on,
    send: send,
    stats: stats,
    tick: tick,
    toast: toast,
    duration: duration,
    refreshParts: refreshParts,
    safeLeadUrl: safeLeadUrl,
  };

  setUpAlertsButton();
  setUpStatus();
  tick();
  setInterval(tick, 1000);
  connect();
})();
