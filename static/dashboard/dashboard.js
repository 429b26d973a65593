/* /dashboard/: draws the charts from the JSON the page embeds (#dashboard-data) with
   Chart.js (static/vendor/chartjs), and keeps the live breach counter current over the
   websocket (/ws/notifications/?page=dashboard). */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var css = getComputedStyle(document.documentElement);
  function color(name) { return css.getPropertyValue(name).trim(); }
  var brand = color("--brand") || "#1f6feb";
  var ok = color("--ok") || "#1a7f37";
  var warm = color("--warm") || "#bf8700";
  var hot = color("--hot") || "#d1242f";
  var research = "#6e40c9";
  var muted = color("--muted") || "#5b6475";

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = muted;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function minutes(seconds) { return seconds === null ? null : Math.round(seconds / 6) / 10; }
  function percent(share) { return share === null ? null : Math.round(share * 1000) / 10; }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return Math.round(seconds) + "s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m " + String(Math.round(seconds % 60)).padStart(2, "0") + "s";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + String(Math.floor((seconds % 3600) / 60)).padStart(2, "0") + "m";
    return Math.floor(seconds / 86400) + "d " + Math.floor((seconds % 86400) / 3600) + "h";
  }
  function canvas(id) { return document.getElementById(id); }
  var dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", { month: "short", day: "numeric", timeZone: "UTC" });
  function shortDay(iso) {  // "2026-11-09" -> "Nov 9" (in English; "9 Nov" in Malay and Indonesian)
    if (!iso) return "";
    var parts = iso.split("-");
    return dayFormat.format(new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]))));
  }
  // Log axes: label only 1, 2 and 5 times a power of ten.
  function logTicks(value) {
    if (value <= 0) return "";
    var power = Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
    var lead = value / power;
    return [1, 2, 5].some(function (n) { return Math.abs(lead - n) < 1e-6; }) ? Number(value.toPrecision(3)).toLocaleString() : "";
  }

  // Trend: daily within-SLA rate against the 95% target, and the median first response.
  if (canvas("trend-chart")) {
    var days = data.trend.map(function (row) { return row.day; });
    new Chart(canvas("trend-chart"), {
      data: {
        labels: days,
        datasets: [
          { type: "line", label: _("Within SLA (%)"), data: data.trend.map(function (r) { return percent(r.within_sla_rate); }),
            yAxisID: "rate", borderColor: brand, backgroundColor: brand, tension: 0.25, spanGaps: true },
          { type: "line", label: _("Target %(target)s", { target: data.targets.within_sla * 100 + "%" }), data: days.map(function () { return data.targets.within_sla * 100; }),
            yAxisID: "rate", borderColor: ok, borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
          { type: "line", label: _("Median first response (min)"), data: data.trend.map(function (r) { return minutes(r.median); }),
            yAxisID: "minutes", borderColor: warm, backgroundColor: warm, tension: 0.25, spanGaps: true },
          { type: "bar", label: _("Leads"), data: data.trend.map(function (r) { return r.leads; }),
            yAxisID: "leads", backgroundColor: "rgba(91, 100, 117, 0.14)", borderWidth: 0 }
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          // Days as "Nov 9", unrotated, skipping labels that do not fit (phones).
          x: { ticks: { maxRotation: 0, autoSkipPadding: 8, callback: function (value) { return shortDay(days[value]); } } },
          rate: { position: "left", min: 0, max: 100, title: { display: true, text: _("within SLA (%)") } },
          minutes: { position: "right", type: "logarithmic", ticks: { callback: logTicks }, title: { display: true, text: _("median response (min, log)") },
                     grid: { drawOnChartArea: false } },
          leads: { display: false, beginAtZero: true }
        }
      }
    });
  }

  // Conversion by response bucket, beside the research curve (SPEC §1), labelled "research".
  if (canvas("bucket-chart")) {
    new Chart(canvas("bucket-chart"), {
      data: {
        labels: data.buckets.map(function (b) { return b.bucket; }),
        datasets: [
          { type: "bar", label: _("Your leads qualified or converted (%)"), data: data.buckets.map(function (b) { return percent(b.rate); }),
            yAxisID: "rate", backgroundColor: brand, borderRadius: 4 },
          { type: "line", label: _("research: relative likelihood (x)"), data: data.buckets.map(function (b) { return b.research; }),
            yAxisID: "research", borderColor: research, backgroundColor: research, borderDash: [4, 3], pointRadius: 4 }
        ]
      },
      options: {
        scales: {
          rate: { position: "left", beginAtZero: true, title: { display: true, text: _("qualified or converted (%)") } },
          research: { position: "right", type: "logarithmic", min: 0.2, max: 30, ticks: { callback: logTicks }, grid: { drawOnChartArea: false },
                      title: { display: true, text: _("research (x, log)") } }
        },
        plugins: { tooltip: { callbacks: { footer: function (items) {
          var bucket = data.buckets[items[0].dataIndex];
          return _("%(count)s of %(leads)s leads", { count: bucket.converted, leads: bucket.leads });
        } } } }
      }
    });
  }

  // Contact rate by attempt number.
  if (canvas("contact-chart")) {
    new Chart(canvas("contact-chart"), {
      type: "bar",
      data: {
        labels: data.contact.map(function (r) { return "#" + r.attempt; }),
        datasets: [{ label: _("First reached on this attempt (%)"), data: data.contact.map(function (r) { return percent(r.rate); }),
                     backgroundColor: ok, borderRadius: 4 }]
      },
      options: {
        scales: { y: { beginAtZero: true, title: { display: true, text: "%" } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { footer: function (items) {
          var row = data.contact[items[0].dataIndex];
          return _("%(count)s of %(leads)s leads", { count: row.connected, leads: row.leads });
        } } } }
      }
    });
  }

  // Spread across reps: median first response (log scale), coloured against the 5-minute goal.
  if (canvas("rep-chart")) {
    var reps = data.reps.filter(function (r) { return r.median !== null; });
    new Chart(canvas("rep-chart"), {
      type: "bar",
      data: {
        labels: reps.map(function (r) { return r.name; }),
        datasets: [{ label: _("Median first response (min)"), data: reps.map(function (r) { return minutes(r.median); }),
                     backgroundColor: reps.map(function (r) { return r.median < data.targets.hot_seconds ? ok : (r.median < 3600 ? warm : hot); }),
                     borderRadius: 4 }]
      },
      options: {
        indexAxis: "y",
        scales: { x: { type: "logarithmic", ticks: { callback: logTicks }, title: { display: true, text: _("median first response (min, log)") } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (item) {
          var rate = reps[item.dataIndex].rate === null ? "–" : percent(reps[item.dataIndex].rate) + "%";
          return duration(reps[item.dataIndex].median) + " · " + _("within SLA %(rate)s", { rate: rate });
        } } } }
      }
    });
  }

  // Live breach counter: read on load, whenever the websocket says a count may have moved
  // ("dashboard.breaches", at most one read every 2 s), and every minute as a safety net
  // (every 15 s while the websocket is down; it reconnects with backoff).
  var tile = document.getElementById("breach-tile");
  if (tile) {
    var url = tile.getAttribute("data-url");
    var live = false, pending = null, lastRead = 0, backoff = 1000;
    var refresh = function () {
      lastRead = Date.now();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (counts) {
          var at = { time: new Date(counts.at).toLocaleTimeString(document.documentElement.lang || []) };
          document.getElementById("breached-count").textContent = counts.breached.toLocaleString();
          document.getElementById("due-soon-count").textContent = counts.due_soon.toLocaleString();
          document.getElementById("breach-updated").textContent = live ? _("live · updated %(time)s", at) : _("updated %(time)s", at);
          tile.classList.toggle("alarm", counts.breached > 0);
          tile.classList.remove("stale");
        })
        .catch(function () {
          tile.classList.add("stale");
          document.getElementById("breach-updated").textContent = _("could not refresh; retrying");
        });
    };
    var soon = function () {
      if (pending) return;
      pending = setTimeout(function () { pending = null; refresh(); }, Math.max(0, 2000 - (Date.now() - lastRead)));
    };
    var connect = function () {
      if (typeof WebSocket === "undefined") return;
      var base = tile.getAttribute("data-ws-url") || ((location.protocol === "https:" ? "wss://" : "ws://") + location.host);
      var socket = new WebSocket(base + "/ws/notifications/?page=dashboard");
      socket.onopen = function () { live = true; backoff = 1000; };
      socket.onmessage = function (message) {
        var event;
        try { event = JSON.parse(message.data); } catch (error) { return; }
        if (event && event.type === "dashboard.breaches") soon();
      };
      socket.onclose = function (close) {
        live = false;
        if (close.code === 4401 || close.code === 4403) return;
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      };
    };
    refresh();
    connect();
    setInterval(function () { if (Date.now() - lastRead >= (live ? 60000 : 15000) - 500) refresh(); }, 15000);
  }
})();
