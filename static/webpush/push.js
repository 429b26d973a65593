/* LeadOps: the installable queue and web push, page side (every workspace page).
 *
 * Registers the service worker (/sw.js, scope "/"), keeps this browser's push subscription
 * saved for the signed-in rep (POST /api/v1/me/push-subscriptions, idempotent), and runs
 * the queue page's one button: "Get alerts on this device" asks the browser's permission,
 * subscribes with the server's VAPID key and saves the subscription. It also says so
 * plainly when the page is offline, and finishes what a notification's action started:
 * /leads/<id>/#accept accepts the lead, #call puts the dial button first.
 *
 * Settings come from the script tag's data- attributes (no inline script: CSP). */
(function () {
  "use strict";

  /* Text in the page's language (the JavaScript catalog, /jsi18n/); English without it. */
  function _(text, values) {
    var translated = window.gettext ? window.gettext(text) : text;
    return values ? translated.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; }) : translated;
  }

  var script = document.getElementById("push-script");
  if (!script) { return; }
  var settings = script.dataset;
  var state = { supported: false, registered: false, subscribed: false, shown: [], error: "" };
  var registration = null;

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window && Boolean(settings.publicKey);
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var index = 0; index < raw.length; index += 1) { bytes[index] = raw.charCodeAt(index); }
    return bytes;
  }

  function device() {
    var agent = navigator.userAgent || "";
    var kind = /iPhone|iPad/.test(agent) ? "iPhone/iPad" : /Android/.test(agent) ? "Android" : /Mac OS X/.test(agent) ? "Mac" : /Windows/.test(agent) ? "Windows" : /Linux/.test(agent) ? "Linux" : "Device";
    var browser = /Edg\//.test(agent) ? "Edge" : /Firefox\//.test(agent) ? "Firefox" : /Chrome\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "browser";
    var installed = window.matchMedia && window.matchMedia("(display-mode: standalone)").matches;
    return kind + " · " + browser + (installed ? " (installed app)" : "");
  }

  function request(method, body, query) {
    return fetch(settings.subscriptionsUrl + (query || ""), {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": settings.csrf },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.status === 204 ? null : response.json();
    });
  }

  /* Save a subscription (PushSubscription.toJSON()) for the signed-in rep. */
  function save(subscription) {
    var body = JSON.parse(JSON.stringify(subscription));
    body.device = device();
    return request("POST", body).then(function (saved) { state.subscribed = true; render(); return saved; });
  }

  function subscribe() {
    state.error = "";
    return Notification.requestPermission()
      .then(function (answer) {
        if (answer !== "granted") { throw new Error("permission " + answer); }
        return navigator.serviceWorker.ready;
      })
      .then(function (ready) {
        return ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(settings.publicKey) });
      })
      .then(save)
      .catch(function (error) { state.error = String(error && error.message || error); render(); throw error; });
  }

  function unsubscribe() {
    return navigator.serviceWorker.ready
      .then(function (ready) { return ready.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) { return null; }
        var endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () { return request("DELETE", null, "?endpoint=" + encodeURIComponent(endpoint)).catch(function () {}); });
      })
      .then(function () { state.subscribed = false; render(); });
  }

  /* --- the queue page's button ------------------------------------------------------------- */

  function render() {
    var box = document.getElementById("push-box");
    if (!box) { return; }
    var button = document.getElementById("enable-push");
    var text = document.getElementById("push-state");
    box.hidden = false;
    box.dataset.state = state.subscribed ? "on" : "off";
    if (!settings.publicKey) {
      box.hidden = true;
    } else if (!state.supported) {
      button.hidden = true;
      var apple = navigator.userAgent.indexOf("iPhone") !== -1 || navigator.userAgent.indexOf("iPad") !== -1;
      text.textContent = apple
        ? _("On iPhone and iPad, alerts need the installed app: tap Share, then Add to Home Screen, and open LeadOps from there.")
        : _("This browser cannot show alerts with no tab open. The open queue still rings and pops up.");
    } else if (Notification.permission === "denied") {
      button.hidden = true;
      text.textContent = _("Notifications are blocked for this site: allow them in the browser's site settings, then reload.");
    } else if (state.subscribed) {
      button.hidden = false;
      button.textContent = _("Turn off alerts on this device");
      text.textContent = _("Alerts are on for this device, also when no LeadOps tab is open.");
    } else {
      button.hidden = false;
      button.textContent = _("Get alerts on this device");
      text.textContent = state.error ? _("Could not turn alerts on (%(error)s). Try again.", { error: state.error }) : _("New leads reach you even with no tab open.");
    }
  }

  function setUpButton() {
    var button = document.getElementById("enable-push");
    if (!button) { return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      var action = state.subscribed ? unsubscribe() : subscribe();
      action.catch(function () {}).then(function () { button.disabled = false; });
    });
    render();
  }

  /* --- offline, and what a notification asked for ------------------------------------------ */

  function showOffline() {
    var banner = document.getElementById("offline-banner");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "offline-banner";
      banner.className = "offline-banner";
      banner.setAttribute("role", "status");
      banner.textContent = _("You are offline. New leads will show up when the connection is back.");
      document.body.insertBefore(banner, document.body.firstChild);
    }
    banner.hidden = navigator.onLine;
  }

  function followHash() {
    if (location.hash === "#accept") {
      var accept = document.getElementById("accept");
      if (accept && accept.form) {
        history.replaceState(null, "", location.pathname);
        accept.form.requestSubmit ? accept.form.requestSubmit(accept) : accept.form.submit();
      }
    } else if (location.hash === "#pass") {
      var pass = document.getElementById("pass");
      if (pass) { pass.open = true; pass.scrollIntoView(); }
    } else if (location.hash === "#call") {
      var call = document.querySelector(".head-actions .call");
      if (call) { call.classList.add("pulse"); call.focus(); }
    }
  }

  window.LeadOpsPush = { state: state, save: save, subscribe: subscribe, unsubscribe: unsubscribe, keyBytes: keyBytes };

  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  if (!navigator.onLine) { showOffline(); }
  window.addEventListener("hashchange", followHash);  // a notification tapped while the lead is open
  followHash();

  if (!("serviceWorker" in navigator)) { setUpButton(); return; }
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "push.shown") { state.shown.push(event.data.payload); }
  });
  state.supported = supported();
  navigator.serviceWorker.register(settings.swUrl, { scope: "/" })
    .then(function (registered) {
      registration = registered;
      state.registered = true;
      if (!state.supported) { return null; }
      return registration.pushManager.getSubscription();
    })
    .then(function (subscription) {
      // A browser may rotate its subscription: saving it again on each visit keeps ours current.
      if (subscription && Notification.permission === "granted") { return save(subscription); }
      return null;
    })
    .catch(function (error) { state.error = String(error && error.message || error); })
    .then(setUpButton);
})();
