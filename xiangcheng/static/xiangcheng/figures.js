// Figures being computed (xiangcheng/snapshots.py). The notice asks data-ready-url whether they
// are there and reloads the page once they are; asking starts no computation. It asks after
// FIRST_MS, then ever less often (up to LONGEST_MS, spread a little, so the tabs of many people
// opened after a release or a change do not ask together), and not while the tab is hidden.
// - Figures computed for the first time (.figures-pending, admin/figures_pending.html): an answer
//   that fails reloads the page after data-reload-after seconds, or LONGEST_MS at least.
// - Figures shown as they stood while the server computes them again (.figures-lagging): once a
//   minute at most for the same address, so a page left open while others keep writing does not
//   keep reloading, nor keep the server computing; without an answer the page reloads after
//   data-reload-after seconds, and while others keep the figures being
//   computed again it reloads after LAGGING_ASK_MS of asking. Once the user types or chooses
//   anything on the page (the period form), it does not reload under them.
(function () {
  "use strict";
  var FIRST_MS = 400;
  var LONGEST_MS = 5000;
  var LAGGING_ASK_MS = 20000;
  var pending = document.querySelector(".figures-pending[data-reload-after]");
  var notice = pending || document.querySelector(".figures-lagging[data-reload-after]");
  if (!notice) {
    return;
  }
  var reloadAfter = Number(notice.getAttribute("data-reload-after")) * 1000;
  var url = notice.getAttribute("data-ready-url");

  function askUntilReady(then, failed, atMost) {
    var delay = FIRST_MS;
    var started = Date.now();
    var later = function () {
      if (atMost && Date.now() - started > atMost) {
        then();
        return;
      }
      window.setTimeout(ask, delay * (0.8 + 0.4 * Math.random()));
      delay = Math.min(LONGEST_MS, delay * 1.5);
    };
    var ask = function () {
      if (document.hidden) {
        document.addEventListener("visibilitychange", ask, { once: true });
        return;
      }
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (answer) {
          if (answer.ready) {
            then();
          } else {
            later();
          }
        })
        .catch(failed);
    };
    later();
  }

  if (pending) {
    askUntilReady(
      function () {
        window.location.reload();
      },
      function () {
        window.setTimeout(function () {
          window.location.reload();
        }, Math.max(reloadAfter, LONGEST_MS));
      }
    );
    return;
  }
  var key = "figures-reloaded:" + location.pathname + location.search;
  var last = Number(window.sessionStorage.getItem(key) || 0);
  if (Date.now() - last < 60000) {
    return;
  }
  var busy = false;
  var interacting = function (event) {
    if (event.type === "keydown" || (event.target.closest && event.target.closest("form, .select2-container"))) {
      busy = true;
    }
  };
  ["pointerdown", "keydown", "input", "change"].forEach(function (type) {
    document.addEventListener(type, interacting, true);
  });
  var reload = function () {
    if (busy) {
      return;
    }
    window.sessionStorage.setItem(key, String(Date.now()));
    window.location.reload();
  };
  askUntilReady(
    reload,
    function () {
      window.setTimeout(reload, reloadAfter);
    },
    LAGGING_ASK_MS
  );
})();
