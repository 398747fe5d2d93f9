/* La-Lisa inbox auto-refresh: polls /aduan/ringkasan, updates the counts per status and
   shows a notice when a new complaint arrived. No framework, no inline script (CSP 'self'). */
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-summary-url");
  var latest = parseInt(root.getAttribute("data-latest-id") || "0", 10) || 0;
  var banner = document.getElementById("inbox-refresh");
  var text = document.getElementById("inbox-refresh-text");
  var baseTitle = document.title;
  var INTERVAL_MS = 30000;

  function update(data) {
    var counts = (data && data.counts) || {};
    var fields = document.querySelectorAll("[data-count]");
    Array.prototype.forEach.call(fields, function (field) {
      var key = field.getAttribute("data-count");
      if (Object.prototype.hasOwnProperty.call(counts, key)) {
        field.textContent = String(counts[key]);
      }
    });
    var newest = parseInt(data && data.latest_id, 10) || 0;
    if (newest > latest && banner) {
      banner.hidden = false;
      if (text) {
        text.textContent = "Ada aduan baru sejak halaman ini dibuka.";
      }
      document.title = "(Aduan baru) " + baseTitle;
    }
  }

  function schedule() {
    window.setTimeout(poll, INTERVAL_MS);
  }

  function poll() {
    if (document.hidden) {
      schedule();
      return;
    }
    window.fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(update)
      .catch(function () { /* signed out or offline: try again later */ })
      .then(schedule);
  }

  schedule();
}());
