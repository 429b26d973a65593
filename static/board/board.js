/* LeadOps live board: one team, kept current over /ws/notifications/?page=board.
 *
 * The server sends the team's events (notifications.live: lead.assigned, lead.reassigned,
 * lead.updated, task.due, sla.warning, sla.breached, rep.status). Any of them about this
 * team makes the page fetch itself again and swap its live part (#board-live): one
 * source of truth, the database, so several managers never disagree. Fetches are
 * coalesced (at most one in flight, one queued). The SLA clocks tick every second: amber
 * from 80% of the time, red once breached. No libraries; settings via json_script. */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var socket = null;
  var retries = 0;
  var everConnected = false;
  var loading = false;
  var again = false;
  var stats = { events: 0, refreshes: 0, last: null };
  var TEAM_EVENTS = ["lead.assigned", "lead.reassigned", "lead.updated", "task.due", "sla.warning", "sla.breached"];

  function socketUrl() {
    var base = config.ws_url || ((location.protocol === "https:" ? "wss://" : "ws://") + location.host);
    return base + "/ws/notifications/?page=board";
  }

  function liveState(state, text) {
    var element = document.getElementById("board-live-state");
    if (element) { element.dataset.state = state; element.textContent = text; }
  }

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function duration(ms) {
    var seconds = Math.round(Math.abs(ms) / 1000);
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (hours >= 24) { return Math.floor(hours / 24) + "d " + (hours % 24) + "h"; }
    if (hours) { return hours + "h " + pad(minutes) + "m"; }
    return minutes + ":" + pad(seconds % 60);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("#board-live .countdown[data-due]").forEach(function (element) {
      var due = Date.parse(element.dataset.due);
      if (isNaN(due)) { return; }
      var warn = element.dataset.warn ? Date.parse(element.dataset.warn) : NaN;
      var left = due - now;
      var state = left < 0 ? "late" : (!isNaN(warn) && now >= warn ? "warn" : "ok");
      var text = left < 0 ? "breached " + duration(left) + " ago" : duration(left) + " left";
      if (element.textContent !== text) { element.textContent = text; }
      if (element.dataset.state !== state) {
        element.dataset.state = state;
        var item = element.closest("li");
        if (item) { item.dataset.clock = state; }
      }
    });
  }

  function paintLoads() {
    document.querySelectorAll("#board-live .load-fill[data-share]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.share) || 0)) + "%";
    });
  }

  /* Fetch this page again and swap #board-live (our own server's template: escaped HTML).
     Open "Move" menus stay open across the swap. */
  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    var open = Array.prototype.map.call(document.querySelectorAll("#board-live details[open]"), function (details) {
      var item = details.closest("li");
      return item ? item.id : "";
    });
    fetch(location.pathname, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board-live");
        var current = document.getElementById("board-live");
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          open.forEach(function (id) {
            var details = id ? document.querySelector("#" + id + " details") : null;
            if (details) { details.open = true; }
          });
          stats.refreshes += 1;
          stats.last = Date.now();
          paintLoads();
          tick();
        }
      })
      .catch(function () { /* the next event or reconnect tries again */ })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  function concernsThisTeam(event) {
    if (event.type === "rep.status") { return true; }  // sent only to the rep's teams' groups
    if (TEAM_EVENTS.indexOf(event.type) < 0 || !event.lead) { return false; }
    return event.lead.team_id === config.team_id || Boolean(document.getElementById("wait-" + Number(event.lead.id)));
  }

  function connect() {
    liveState("connecting", _("connecting…"));
    socket = new WebSocket(socketUrl());
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (!event || typeof event.type !== "string") { return; }
      if (event.type === "hello") {
        if (everConnected) { refresh(); }  // events may have been missed while reconnecting
        everConnected = true;
        retries = 0;
        liveState("live", _("live"));
        return;
      }
      if (concernsThisTeam(event)) {
        stats.events += 1;
        refresh();
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { liveState("offline", _("not allowed")); return; }
      liveState("offline", _("reconnecting…"));
      retries += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, Math.min(retries, 6))));
    };
  }

  window.LeadOpsBoard = { stats: stats, refresh: refresh, tick: tick };
  paintLoads();
  tick();
  setInterval(tick, 1000);
  connect();
})();
