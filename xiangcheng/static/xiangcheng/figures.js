// Figures being computed (xiangcheng/snapshots.py). A page showing them as they stood while the
// server computes them again (the notice .figures-lagging) reloads itself after data-reload-after
// seconds: once a minute at most for the same address, so a page left open while others keep
// writing does not keep reloading, nor keep the server computing. A page waiting for figures
// computed for the first time (.figures-pending, admin/figures_pending.html) reloads itself until
// they are there; a reload starts no computation of its own.
(function () {
  "use strict";
  var pending = document.querySelector(".figures-pending[data-reload-after]");
  var notice = pending || document.querySelector(".figures-lagging[data-reload-after]");
  if (!notice) {
    return;
  }
  var key = "figures-reloaded:" + location.pathname + location.search;
  var last = Number(window.sessionStorage.getItem(key) || 0);
  if (!pending && Date.now() - last < 60000) {
    return;
  }
  window.setTimeout(function () {
    if (!pending) {
      window.sessionStorage.setItem(key, String(Date.now()));
    }
    window.location.reload();
  }, Number(notice.getAttribute("data-reload-after")) * 1000);
})();
