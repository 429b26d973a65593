/* LeadOps queue page: pushed leads appear, move or leave without a reload.
 *
 * buildRow() makes the same row as workspace/tables.py from a lead summary
 * (notifications.live.lead_summary) and sortKey() the same order as workspace/filters.py,
 * so a live row sits where a reload would put it. Lead fields go in with textContent. */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }

  var L = window.LeadOps;
  var config = JSON.parse(document.getElementById("queue-config").textContent);
  var OPEN_STAGES = ["new", "assigned", "contacted", "connected"];
  var TEMPERATURE_RANK = { hot: 0, warm: 1, cold: 2 };
  var TEMPERATURE_LABELS = { hot: _("Hot"), warm: _("Warm"), cold: _("Cold") };
  var FAR = 32503680000000;

  function table() { return document.getElementById("queue-table"); }

  function body() {
    var element = table();
    return element ? element.tBodies[0] : null;
  }

  function time(value) {
    var parsed = value ? Date.parse(value) : NaN;
    return isNaN(parsed) ? null : parsed;
  }

  function urgentAt(lead) {
    return lead.first_attempt_at ? time(lead.next_step_due_at) : time(lead.first_contact_due_at);
  }

  function sortKey(lead) {
    var urgent = urgentAt(lead);
    return [
      lead.first_attempt_at ? 1 : 0,
      urgent === null ? FAR : urgent,
      TEMPERATURE_RANK.hasOwnProperty(lead.temperature) ? TEMPERATURE_RANK[lead.temperature] : 3,
      time(lead.submitted_at) || 0,
      Number(lead.id),
    ];
  }

  function compare(a, b) {
    for (var index = 0; index < a.length; index += 1) {
      if (a[index] !== b[index]) { return a[index] < b[index] ? -1 : 1; }
    }
    return 0;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function cell(key, label) {
    var td = element("td", "c-" + key);
    td.dataset.label = label;
    return td;
  }

  function countdown(lead) {
    var span = element("span", "countdown");
    if (!lead.first_attempt_at && lead.first_contact_due_at) {
      span.dataset.mode = "sla";
      span.dataset.due = lead.first_contact_due_at;
      span.dataset.warn = lead.sla_warning_at || "";
    } else if (lead.next_step_due_at) {
      span.dataset.mode = "step";
      span.dataset.due = lead.next_step_due_at;
    } else {
      span.className = "countdown done";
      span.dataset.mode = "none";
      span.textContent = _("contacted");
    }
    return span;
  }

  function capitalize(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : ""; }

  function buildRow(lead) {
    var row = element("tr", "lead-row temp-" + lead.temperature);
    row.id = "lead-" + Number(lead.id);
    row.dataset.lead = lead.id;
    row.dataset.owner = lead.owner_id || "";
    row.dataset.team = lead.team_id || "";
    row.dataset.stage = lead.stage;
    row.dataset.temperature = lead.temperature;
    row.dataset.source = lead.source;
    row.dataset.sort = JSON.stringify(sortKey(lead));

    var name = cell("lead", _("Lead"));
    var link = element("a", "lead-name", lead.name || "L-" + lead.id);
    link.href = L.safeLeadUrl(lead);
    name.appendChild(link);
    name.appendChild(element("span", "company", lead.company || ""));
    name.appendChild(element("span", "inquiry", lead.inquiry_type || ""));
    row.appendChild(name);

    var call = cell("call", _("Call"));
    if (lead.tel && /^tel:\+?[0-9]+$/.test(lead.tel)) {
      var dial = element("a", "dial", lead.phone || lead.tel.slice(4));
      dial.href = lead.tel;
      call.appendChild(dial);
    } else {
      call.appendChild(element("span", "muted", lead.phone || _("no phone")));
    }
    if (!config.team_view && lead.owner_id === L.config.user_id && !lead.accepted_at && !lead.first_attempt_at) {
      var offer = element("span", "offer-actions");
      var accept = element("button", "small-button accept-button", _("Accept"));
      accept.type = "button";
      accept.dataset.accept = Number(lead.id);
      var pass = element("a", "small-button pass-link", _("Pass"));
      pass.href = L.safeLeadUrl(lead) + "#pass";
      offer.appendChild(accept);
      offer.appendChild(pass);
      call.appendChild(offer);
    }
    row.appendChild(call);

    var temperature = cell("temp", _("Temp."));
    temperature.appendChild(element("span", "badge temp-" + lead.temperature, TEMPERATURE_LABELS[lead.temperature] || capitalize(lead.temperature)));
    row.appendChild(temperature);
    row.appendChild(cell("source", _("Source"))).textContent = lead.source_label || lead.source;
    row.appendChild(cell("stage", _("Stage"))).textContent = lead.stage_label || lead.stage;
    row.appendChild(cell("due", _("Time left"))).appendChild(countdown(lead));
    if (config.team_view) {
      var owner = cell("owner", _("Owner"));
      if (lead.owner) { owner.textContent = lead.owner; } else { owner.appendChild(element("span", "muted", _("unassigned"))); }
      row.appendChild(owner);
    }
    return row;
  }

  function belongsHere(lead) {
    if (OPEN_STAGES.indexOf(lead.stage) < 0) { return false; }
    if (config.view === "team" ? lead.team_id !== config.team_id : lead.owner_id !== L.config.user_id) { return false; }
    var filters = config.filters || {};
    for (var key in filters) {
      if (filters.hasOwnProperty(key) && String(lead[key]) !== String(filters[key])) { return false; }
    }
    if (config.due_today_until) {
      var urgent = urgentAt(lead);
      if (urgent === null || urgent >= Date.parse(config.due_today_until)) { return false; }
    }
    return true;
  }

  function removeEmptyRow(tbody) {
    Array.prototype.slice.call(tbody.rows).forEach(function (row) {
      if (!row.dataset.lead) { row.remove(); }
    });
  }

  function markShown(id, inserted) {
    requestAnimationFrame(function () {
      L.stats.rows[id] = { inserted: inserted, painted: Date.now() };
    });
  }

  function place(lead) {
    var tbody = body();
    if (!tbody) { return false; }
    var existing = document.getElementById("lead-" + Number(lead.id));
    if (!belongsHere(lead)) {
      if (existing) { existing.classList.add("leaving"); setTimeout(function () { existing.remove(); }, 400); }
      return false;
    }
    if (!existing && (config.search || config.page !== 1)) {
      return false;  // another page of results: the toast tells, a reload shows it
    }
    var row = buildRow(lead);
    var key = sortKey(lead);
    if (existing) { existing.remove(); }
    removeEmptyRow(tbody);
    var before = null;
    Array.prototype.some.call(tbody.rows, function (candidate) {
      if (compare(key, JSON.parse(candidate.dataset.sort || "[]")) < 0) { before = candidate; return true; }
      return false;
    });
    tbody.insertBefore(row, before);
    if (!existing) { row.classList.add("is-new"); }
    L.tick();
    markShown(lead.id, Date.now());
    return true;
  }

  function addTask(event) {
    var list = document.getElementById("task-list");
    var lead = event.lead;
    var task = event.task || {};
    if (!list || lead.owner_id !== L.config.user_id) { return; }
    var selector = '.task[data-lead="' + Number(lead.id) + '"][data-step="' + Number(task.step) + '"]';
    if (list.querySelector(selector)) { return; }
    list.querySelectorAll(".empty-tasks").forEach(function (item) { item.remove(); });
    var item = element("li", "task is-new");
    item.dataset.lead = lead.id;
    item.dataset.step = task.step;
    if (lead.tel && /^tel:\+?[0-9]+$/.test(lead.tel)) {
      var dial = element("a", "dial", _("Call"));
      dial.href = lead.tel;
      item.appendChild(dial);
    }
    var link = element("a", "task-title", lead.name || "L-" + lead.id);
    link.href = L.safeLeadUrl(lead);
    item.appendChild(link);
    var what = (task.channel || _("task")) + (task.step ? " " + _("(step %(step)s)", { step: task.step }) : "");
    item.appendChild(element("span", "muted", (lead.company ? lead.company + " · " : "") + what));
    var clock = element("span", "countdown");
    clock.dataset.mode = "step";
    clock.dataset.due = task.due_at || new Date().toISOString();
    item.appendChild(clock);
    list.appendChild(item);
    var section = document.getElementById("due-tasks");
    if (section) { section.dataset.empty = "false"; }
    L.tick();
  }

  /* An attempt does the due step, a decision or a move takes the lead away: its tasks go. */
  function removeTasksOf(event) {
    var lead = event.lead;
    var kind = event.change ? event.change.kind : "";
    var gone = lead.owner_id !== L.config.user_id || OPEN_STAGES.indexOf(lead.stage) < 0;
    if (gone || kind === "attempt.logged") {
      document.querySelectorAll('.task[data-lead="' + Number(lead.id) + '"]').forEach(function (item) { item.remove(); });
    }
  }

  ["lead.assigned", "lead.reassigned", "lead.updated", "sla.warning", "sla.breached", "task.due"].forEach(function (type) {
    L.on(type, function (event) {
      if (!event.lead) { return; }
      place(event.lead);
      removeTasksOf(event);
      if (type === "task.due") { addTask(event); }
      if (config.view === "team" && event.lead.owner_id !== L.config.user_id && type !== "lead.updated" && type !== "task.due") {
        var named = { name: event.lead.name || "L-" + event.lead.id };
        var heading = type === "lead.assigned" ? _("Assigned: %(name)s", named)
          : type === "lead.reassigned" ? _("Reassigned: %(name)s", named)
          : type === "sla.warning" ? _("SLA almost gone: %(name)s", named)
          : _("SLA breached: %(name)s", named);
        L.toast(heading, event.lead.owner ? _("to %(owner)s", { owner: event.lead.owner }) : _("unassigned"),
          L.safeLeadUrl(event.lead), "muted");
      }
    });
  });

  /* On a phone the list matters more than the filters: fold them unless one is in use. */
  var more = document.getElementById("more-filters");
  var inUse = Object.keys(config.filters || {}).length > 0 || Boolean(config.due_today_until);
  if (more && window.matchMedia("(max-width: 720px)").matches && !inUse) { more.open = false; }

  /* A manager's team picker shows the chosen team at once (no inline handler: CSP). */
  var teamPick = document.querySelector(".team-pick select[name=team]");
  if (teamPick) { teamPick.addEventListener("change", function () { teamPick.form.submit(); }); }

  /* Accept in one tap from the row (the API; the row is rebuilt by the pushed update). */
  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".accept-button") : null;
    if (!button) { return; }
    var id = Number(button.dataset.accept);
    button.disabled = true;
    fetch("/api/v1/leads/" + id + "/accept", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      var actions = button.closest(".offer-actions");
      if (actions) { actions.remove(); }
      L.toast(_("Accepted L-%(id)s", { id: id }), _("The lead is yours: call now."), null, "muted");
    }).catch(function () {
      button.disabled = false;
      L.toast(_("Could not accept L-%(id)s", { id: id }), _("Try again, or open the lead."), null, "muted");
    });
  });

  L.on("reconnected", function () { L.refreshParts(["#queue", "#task-list"]).catch(function () {}); });
  L.queue = { buildRow: buildRow, sortKey: sortKey, place: place };
})();
