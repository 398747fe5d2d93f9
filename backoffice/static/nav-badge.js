/* La-Lisa menu badges: a menu link with data-badge-url shows how many items wait (e.g.
   conversations that need a person), refreshed every 30 s on every page, so an admin sees new
   work without keeping that list open. No inline script (CSP 'self'); text via textContent. */
(function () {
  "use strict";
  if (!window.fetch) {
    return;
  }
  var INTERVAL_MS = 30000;

  function refresh(link) {
    var badge = link.querySelector(".nav-badge");
    return window.fetch(link.getAttribute("data-badge-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok || response.redirected) {
        throw new Error("status " + response.status);
      }
      return response.json();
    }).then(function (data) {
      var waiting = (data && data.waiting) || 0;
      badge.textContent = String(waiting);
      badge.title = waiting + " menunggu";
      badge.hidden = waiting === 0;
    });
  }

  function poll(link) {
    refresh(link)
      .catch(function () { /* signed out or offline: try again later */ })
      .then(function () { window.setTimeout(function () { poll(link); }, INTERVAL_MS); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("a[data-badge-url]"), poll);
})();
