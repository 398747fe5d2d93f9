/* La-Lisa human takeover: polling for the "needs a person" list (alert on new entries) and
   for the takeover page (new citizen messages, delivery status of the admin's replies).
   No framework, no inline script (CSP 'self'); every text is inserted with textContent. */
(function () {
  "use strict";
  if (!window.fetch) {
    return;
  }
  var LIST_INTERVAL_MS = 15000;
  var CHAT_INTERVAL_MS = 3000;
  var baseTitle = document.title;

  function getJson(url) {
    return window.fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok || response.redirected) {
        throw new Error("status " + response.status);
      }
      return response.json();
    });
  }

  function every(intervalMs, task) {
    function tick() {
      if (document.hidden) {
        window.setTimeout(tick, intervalMs);
        return;
      }
      task()
        .catch(function () { /* signed out or offline: try again later */ })
        .then(function () { window.setTimeout(tick, intervalMs); });
    }
    window.setTimeout(tick, intervalMs);
  }

  var list = document.getElementById("needs-person");
  if (list) {
    var summaryUrl = list.getAttribute("data-summary-url");
    var knownKey = list.getAttribute("data-key");
    var alertBox = document.getElementById("needs-person-alert");
    var alertText = document.getElementById("needs-person-alert-text");
    every(LIST_INTERVAL_MS, function () {
      return getJson(summaryUrl).then(function (data) {
        if (data && data.key !== knownKey && data.waiting > 0 && alertBox) {
          alertBox.hidden = false;
          if (alertText) {
            alertText.textContent = "Ada percakapan baru yang perlu petugas (" + data.waiting + " menunggu).";
          }
          document.title = "(" + data.waiting + ") " + baseTitle;
        }
      });
    });
  }

  var page = document.getElementById("takeover");
  if (page) {
    var updatesUrl = page.getAttribute("data-updates-url");
    var lastId = parseInt(page.getAttribute("data-last-id") || "0", 10) || 0;
    var chat = document.getElementById("chat");
    var newBanner = document.getElementById("chat-new");
    var empty = document.getElementById("chat-empty");

    function addLine(message) {
      var item = document.createElement("li");
      item.className = "conversation-" + message.kind;
      item.setAttribute("data-id", String(message.id));
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = new Date(message.at).toLocaleString("id-ID");
      var who = document.createElement("strong");
      who.textContent = message.speaker;
      var text = document.createElement("div");
      text.className = "pre";
      text.textContent = message.text;
      item.appendChild(when);
      item.appendChild(who);
      item.appendChild(text);
      chat.appendChild(item);
    }

    every(CHAT_INTERVAL_MS, function () {
      return getJson(updatesUrl + "?setelah=" + lastId).then(function (data) {
        var fromCitizen = false;
        (data.messages || []).forEach(function (message) {
          if (message.id > lastId) {
            lastId = message.id;
            addLine(message);
            fromCitizen = fromCitizen || message.kind === "citizen";
          }
        });
        if (empty && lastId > 0) {
          empty.hidden = true;
        }
        if (fromCitizen && newBanner) {
          newBanner.hidden = false;
          document.title = "(Pesan baru) " + baseTitle;
        }
        (data.replies || []).forEach(function (reply) {
          var badge = document.getElementById("reply-status-" + reply.id);
          if (badge) {
            badge.textContent = reply.label;
            badge.className = "badge outbox-" + reply.status + " reply-status";
          }
        });
      });
    });
  }
}());
