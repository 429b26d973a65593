/* LeadOps service worker, served at /sw.js (scope "/": the queue and the lead pages).
 *
 * - The shell (styles, scripts, icons, the offline page) is cached at install, so an
 *   installed queue opens at once; pages always come from the network, and when the
 *   network is gone the rep gets a plain "you are offline" page, never a stale queue.
 * - A push (webpush/delivery.py) becomes a notification with the lead's name, company,
 *   phone, source, temperature and SLA deadline; its tag is the one the open page uses
 *   for the same event, so one alert never shows twice.
 * - Tapping the notification opens the lead page; "Call" dials, "Accept" opens the lead
 *   page and accepts it there (the page holds the CSRF token; a worker cannot).
 *
 * self.LEADOPS_SW (the first line, written by webpush/views.py) carries the version, the
 * shell's URLs, the offline page and the icon. */
(function () {
  "use strict";

  var settings = self.LEADOPS_SW || { version: "dev", shell: [], offline: "/offline/", icon: "" };
  var SHELL_CACHE = "leadops-shell-" + settings.version;
  var TEL = /^tel:\+?[0-9]+$/;

  self.addEventListener("install", function (event) {
    event.waitUntil(
      caches.open(SHELL_CACHE)
        .then(function (cache) { return cache.addAll(settings.shell); })
        .then(function () { return self.skipWaiting(); })
    );
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys()
        .then(function (names) {
          return Promise.all(names.filter(function (name) {
            return name.indexOf("leadops-") === 0 && name !== SHELL_CACHE;
          }).map(function (name) { return caches.delete(name); }));
        })
        .then(function () { return self.clients.claim(); })
    );
  });

  function isShell(url) {
    return url.origin === self.location.origin && settings.shell.indexOf(url.pathname) >= 0;
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var url = new URL(request.url);
    if (request.mode === "navigate") {
      event.respondWith(fetch(request).catch(function () {
        return caches.match(settings.offline).then(function (page) {
          return page || new Response(settings.labels.offline, {
            status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
          });
        });
      }));
      return;
    }
    if (isShell(url)) {
      event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    }
  });

  /* --- pushes --------------------------------------------------------------------------- */

  function leadPath(data) { return "/leads/" + Number(data.lead) + "/"; }

  function options(data) {
    var actions = [{ action: "accept", title: settings.labels.accept }];
    if (data.tel && TEL.test(data.tel)) { actions.push({ action: "call", title: settings.labels.call + " " + (data.phone || "") }); }
    if (data.type !== "lead.assigned" && data.type !== "lead.reassigned") { actions.shift(); }
    return {
      body: data.body || "",
      tag: data.tag || "lead-" + Number(data.lead),
      renotify: true,
      requireInteraction: data.temperature === "Hot" && data.type !== "task.due",
      icon: settings.icon,
      badge: settings.badge || settings.icon,
      timestamp: data.sent_at ? Date.parse(data.sent_at) : Date.now(),
      data: { lead: Number(data.lead), type: data.type, tel: data.tel || "", url: leadPath(data) },
      actions: actions,
    };
  }

  function tellPages(message) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (pages) {
      pages.forEach(function (page) { page.postMessage(message); });
    });
  }

  function show(data) {
    if (!data || !data.lead) {
      return self.registration.showNotification("LeadOps", { body: settings.labels.something_new, icon: settings.icon });
    }
    return self.registration.showNotification(data.title || "LeadOps", options(data)).then(function () {
      return tellPages({ type: "push.shown", payload: data });
    });
  }

  self.addEventListener("push", function (event) {
    var data = null;
    try { data = event.data ? event.data.json() : null; } catch (error) { data = null; }
    event.waitUntil(show(data));
  });

  /* Open `path` in a LeadOps window: the focused one if any, else any, else a new one. */
  function openPage(path) {
    var url = new URL(path, self.location.origin).href;
    return self.clients.matchAll({ type: "window" }).then(function (windows) {
      var mine = windows.filter(function (client) { return new URL(client.url).origin === self.location.origin; });
      mine.sort(function (a, b) { return (b.focused ? 1 : 0) - (a.focused ? 1 : 0); });
      if (mine.length && mine[0].navigate) {
        var client = mine[0];
        return client.navigate(url)
          .then(function (moved) {
            var target = moved || client;
            return target.focus ? target.focus().catch(function () { return target; }) : target;
          })
          .catch(function () { return self.clients.openWindow(url); });
      }
      return self.clients.openWindow(url);
    });
  }

  function openFor(data, action) {
    var path = data.url && data.url.indexOf("/leads/") === 0 ? leadPath(data) : "/queue/";
    if (action === "call" && TEL.test(data.tel || "")) {
      return self.clients.openWindow(data.tel).catch(function () { return openPage(path + "#call"); });
    }
    return openPage(action === "accept" ? path + "#accept" : path);
  }

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    event.waitUntil(openFor(event.notification.data || {}, event.action));
  });

  /* What the handlers do, callable (the browser tests drive them: headless Chromium shows
     no notification a test could click). */
  self.leadops = { show: show, openFor: openFor, options: options };
})();
