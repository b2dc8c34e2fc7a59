// A page showing figures as they stood while the server computes them again (the notice
// .figures-lagging, xiangcheng/snapshots.py) reloads itself after data-reload-after seconds: once
// a minute at most for the same address, so a page left open while others keep writing does not
// keep reloading, nor keep the server computing.
(function () {
  "use strict";
  var notice = document.querySelector(".figures-lagging[data-reload-after]");
  if (!notice) {
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
  }, Number(notice.getAttribute("data-reload-after")) * 1000);
})();
