/* A reward given while the rep has My stats or the leaderboard open: a toast, live
   (the worker pushes "reward.awarded" to the rep's own group when a goal's period closes).
   Uses the workspace's live connection (static/workspace/live.js); text only, no HTML. */
(function () {
  "use strict";
  if (!window.LeadOps) { return; }
  window.LeadOps.on("reward.awarded", function (event) {
    var award = event.award || {};
    var title = "New reward: " + (award.badge ? award.badge + " " : "") + (award.reward || "");
    var body = "You met “" + (award.goal || "a goal") + "” (" + (award.value || "") + ")." +
      (award.bonus_note ? " " + award.bonus_note : "");
    window.LeadOps.toast(title, body, "/queue/stats/", "reward");
  });
})();
