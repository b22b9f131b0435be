// baton's pages: a little hand-written script, no build step. Everything works without it;
// it only (1) tells the server the browser's time zone, (2) keeps the board's queue live,
// (3) selects a shown-once secret when it gets focus.
"use strict";

(function () {
  // 1. The browser's time zone, in the `tz` cookie the server reads. When the page was
  // rendered in another zone, reload once so the times are the viewer's.
  function syncTimeZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
    var current = (document.cookie.match(/(?:^|;\s*)tz=([^;]*)/) || [])[1];
    if (current === zone) return;
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    var shown = document.body.getAttribute("data-tz");
    var asked = /[?&]tz=/.test(window.location.search);
    var key = "baton-tz-reloaded";
    if (shown && shown !== zone && !asked && !sessionStorage.getItem(key)) {
      sessionStorage.setItem(key, "1");
      window.location.reload();
    }
  }

  // 2. The board's queue: every `data-poll-seconds`, fetch `data-live` (the queue's HTML
  // alone) and put it in place. A signed-out session answers the sign-in page instead, without
  // the fragment header: then stop and say so.
  function liveQueue(section) {
    var url = section.getAttribute("data-live");
    var seconds = parseInt(section.getAttribute("data-poll-seconds"), 10) || 10;
    var timer = null;
    var busy = false;

    function status(text) {
      var note = section.querySelector(".live-status");
      if (!note) {
        note = document.createElement("p");
        note.className = "live-status";
        note.setAttribute("data-test", "live-status");
        section.appendChild(note);
      }
      note.textContent = text;
    }

    function refresh() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok || response.headers.get("X-Baton-Fragment") !== "queue") {
            stop();
            status(response.status === 200 || response.redirected
              ? "Signed out: reload the page to sign in again."
              : "Live updates stopped (" + response.status + "). Reload the page.");
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) {
            section.innerHTML = html;
            section.setAttribute("data-refreshed", new Date().toISOString());
          }
        })
        .catch(function () {
          status("Cannot reach baton; retrying.");
        })
        .then(function () {
          busy = false;
        });
    }

    function stop() {
      if (timer !== null) window.clearInterval(timer);
      timer = null;
    }

    timer = window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && timer !== null) refresh();
    });
  }

  // 3. Secrets shown once are selected on focus, ready to copy.
  function selectSecrets() {
    document.querySelectorAll("input.secret").forEach(function (input) {
      input.addEventListener("focus", function () {
        input.select();
      });
    });
  }

  function start() {
    syncTimeZone();
    document.querySelectorAll("[data-live]").forEach(liveQueue);
    selectSecrets();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
