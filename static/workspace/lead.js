/* LeadOps lead page: when the lead changes elsewhere (another tab, a manager, the
 * cadence engine, routing), the header, plan and timeline are fetched again and swapped;
 * the lead's local clock keeps ticking. Forms are never swapped, so typing is not lost. */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }

  var L = window.LeadOps;
  var config = JSON.parse(document.getElementById("lead-config").textContent);
  var pending = null;

  function refresh() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      L.refreshParts(['[data-live="head"]', '[data-live="meeting"]', '[data-live="plan"]', '[data-live="timeline"]']).catch(function () {
        L.toast(_("This lead is no longer yours"), _("It was handed over or reassigned."), "/queue/", "muted");
      });
    }, 250);
  }

  L.on("*", function (event) {
    if (event.lead && Number(event.lead.id) === Number(config.lead_id)) { refresh(); }
  });
  L.on("reconnected", refresh);

  var clock = document.getElementById("lead-local-time");
  if (clock && clock.dataset.tz) {
    try {
      var format = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: clock.dataset.tz });
      setInterval(function () { clock.textContent = format.format(new Date()); }, 15000);
    } catch (error) { /* an unknown zone: the server's time stays */ }
  }
})();
