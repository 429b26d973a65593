/* A reward given while the rep has My stats or the leaderboard open: a toast, live
   (the worker pushes "reward.awarded" to the rep's own group when a goal's period closes).
   Uses the workspace's live connection (static/workspace/live.js); text only, no HTML. */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }
  if (!window.LeadOps) { return; }
  window.LeadOps.on("reward.awarded", function (event) {
    var award = event.award || {};
    var title = _("New reward: %(reward)s", { reward: (award.badge ? award.badge + " " : "") + (award.reward || "") });
    var body = _("You met “%(goal)s” (%(value)s).", { goal: award.goal || _("a goal"), value: award.value || "" }) +
      (award.bonus_note ? " " + award.bonus_note : "");
    window.LeadOps.toast(title, body, "/queue/stats/", "reward");
  });
})();
