/* The hosted lead form: send the visitor's time zone along (a hidden field), so the first
 * call lands in their business hours. A file of its own: the CSP allows no inline script. */
(function () {
  "use strict";
  try {
    var tz = document.getElementById("tz");
    if (tz && !tz.value) { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; }
  } catch (e) { /* an old browser: the server guesses the zone from the phone or country */ }
})();
