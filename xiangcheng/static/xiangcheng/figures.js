// Figures being computed (xiangcheng/snapshots.py).
// - A page showing them as they stood while the server computes them again (the notice
//   .figures-lagging) reloads itself after data-reload-after seconds: once a minute at most for
//   the same address, so a page left open while others keep writing does not keep reloading, nor
//   keep the server computing.
// - A page waiting for figures computed for the first time (.figures-pending,
//   admin/figures_pending.html) asks data-ready-url whether they are there, every POLL_MS, and
//   reloads once they are (or when the answer fails, after data-reload-after seconds); asking
//   starts no computation.
(function () {
  "use strict";
  var POLL_MS = 400;
  var pending = document.querySelector(".figures-pending[data-reload-after]");
  var notice = pending || document.querySelector(".figures-lagging[data-reload-after]");
  if (!notice) {
    return;
  }
  var reloadAfter = Number(notice.getAttribute("data-reload-after")) * 1000;
  if (pending) {
    var url = pending.getAttribute("data-ready-url");
    var ask = function () {
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
            window.location.reload();
          } else {
            window.setTimeout(ask, POLL_MS);
          }
        })
        .catch(function () {
          window.setTimeout(function () {
            window.location.reload();
          }, reloadAfter);
        });
    };
    window.setTimeout(ask, POLL_MS);
    return;
  }
  var key = "figures-reloaded:" + location.pathname + location.search;
  var last = Number(window.sessionStorage.getItem(key) || 0);
  if (Date.now() - last < 60000) {
    return;
  }
  window.setTimeout(function () {
    window.sessionStorage.setItem(key, String(Date.now()));
    window.location.reload();
  }, reloadAfter);
})();
