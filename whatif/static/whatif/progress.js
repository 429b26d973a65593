// The what-if page: poll the job's progress, move the bar, reload once it is done.
(function () {
  "use strict";
  const bar = document.getElementById("whatif-progress");
  if (!bar) return;
  const status = document.getElementById("whatif-status");
  const percent = document.getElementById("whatif-percent");
  async function poll() {
    try {
      const response = await fetch(bar.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.value = data.progress || 0;
        percent.textContent = Math.round((data.progress || 0) * 100) + " %";
        status.textContent = data.status;
        if (data.status === "finished" || data.status === "failed") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      status.textContent = "waiting for the server…";
    }
    window.setTimeout(poll, 1000);
  }
  poll();
})();
