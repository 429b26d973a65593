/* The booking widget of the hosted form's thank-you page. Routing picks the rep in a job
 * right after the submission, so the page may come before the choice: it asks
 * /book/<token>/slots.json a few times a second, for up to data-wait-ms (~2 s), until a rep
 * (or the team's queue) is chosen, then shows the next free slots in the lead's zone -
 * live, without a reload. Each slot is a submit button of the widget's form (one click
 * books; the server checks it again). No inline script: the page's CSP can forbid them. */
(function () {
  "use strict";

  var widget = document.getElementById("booking-widget");
  if (!widget) { return; }
  var url = widget.dataset.slotsUrl;
  var waitMs = Number(widget.dataset.waitMs) || 2000;
  var started = Date.now();
  var title = document.getElementById("booking-title");
  var status = document.getElementById("booking-status");
  var list = document.getElementById("booking-slots");
  var form = document.getElementById("booking-widget-form");

  function slotButton(slot) {
    var button = document.createElement("button");
    button.name = "start";
    button.value = slot.start;
    button.className = "slot";
    var day = document.createElement("span");
    day.className = "slot-date";
    day.textContent = slot.day;
    var time = document.createElement("span");
    time.className = "slot-time";
    time.textContent = slot.time;
    button.appendChild(day);
    button.appendChild(document.createTextNode(" "));
    button.appendChild(time);
    return button;
  }

  function render(body) {
    widget.dataset.state = "ready";
    title.classList.remove("waiting");
    if (body.meeting) {
      title.textContent = "Your call is booked";
      status.textContent = body.meeting.day + ", " + body.meeting.time + " with " + body.meeting.rep + " (" + body.time_zone + ").";
      if (list) { list.replaceChildren(); }
      return;
    }
    if (body.mode === "rep") { title.textContent = "Book your call with " + body.rep; }
    else if (body.mode === "pool") { title.textContent = "Book a call with our team"; }
    else { title.textContent = "We will call you"; }
    status.textContent = body.slots.length
      ? "Times in your time zone (" + body.time_zone + "). One click books."
      : "No times can be booked online right now.";
    if (list) { list.replaceChildren.apply(list, body.slots.map(slotButton)); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) {
        if (!body.routed && !body.meeting && Date.now() - started < waitMs) {
          setTimeout(poll, 250);
          return;
        }
        render(body);
      })
      .catch(function () {
        if (Date.now() - started < waitMs) { setTimeout(poll, 400); return; }
        title.classList.remove("waiting");
        title.textContent = "Book a call";
        status.textContent = "Open the booking page to pick a time.";
      });
  }

  if (form) {
    form.addEventListener("submit", function () {  // one booking per click: no double submit
      setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button.slot"), function (button) { button.disabled = true; });
      }, 0);
    });
  }
  if (widget.dataset.state === "waiting") {
    title.classList.add("waiting");
    poll();
  }
})();
