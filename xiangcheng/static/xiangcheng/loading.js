/* Every page: while the next page is on its way (a report, the dashboard after a change, a long
   list), a "正在加载…" notice says so, until this page gives way to it. It shows for a link to
   another page of the portal and for a form that asks for one (the period and organization form,
   the list's search), once the wait passes a moment, so a fast page never flashes it.
   Not for a file: a link that hands one out leaves this page in place, so the notice would stay
   (the export form has its own wait, export_progress.js; imports theirs, import_progress.js).
   Loaded by templates/admin/base_site.html; its styles are in loading.css. */
(function () {
  "use strict";
  var DELAY = 300;
  var TEXT = "正在加载…";
  var region = null;
  var timer = null;

  // Links that hand out a file: a report or completion download (?format=, ?download=), a
  // statistics export (export/<kind>/), an import template, a service attachment.
  var FILE_PATH = /\/(export\/[a-z]+|import\/template|attachment\/\d+)\/$/;

  function handsOutFile(url, element) {
    return (
      element.hasAttribute("download") ||
      url.searchParams.has("format") ||
      url.searchParams.has("download") ||
      FILE_PATH.test(url.pathname)
    );
  }

  function parse(address) {
    try {
      return new URL(address || window.location.href, window.location.href);
    } catch (error) {
      return null;
    }
  }

  function anotherPage(url) {
    if (!url || url.origin !== window.location.origin || !/^https?:$/.test(url.protocol)) {
      return false;
    }
    // The same page with another #fragment only scrolls.
    var here = window.location.href.split("#")[0];
    return !(url.href.split("#")[0] === here && url.hash);
  }

  function show() {
    region.textContent = TEXT;
    document.documentElement.classList.add("page-is-loading");
  }

  function hide() {
    window.clearTimeout(timer);
    timer = null;
    if (region) {
      region.textContent = "";
    }
    document.documentElement.classList.remove("page-is-loading");
  }

  // After a moment, unless a script of the page took the click or the submit over after all.
  function soon(event) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (!event.defaultPrevented) {
        show();
      }
    }, DELAY);
  }

  function onClick(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest && event.target.closest("a[href]");
    var target = link && link.getAttribute("target");
    if (!link || (target && target !== "_self")) {
      return;
    }
    var url = parse(link.getAttribute("href"));
    if (anotherPage(url) && !handsOutFile(url, link)) {
      soon(event);
    }
  }

  function onSubmit(event) {
    var form = event.target;
    var submitter = event.submitter;
    var method = ((submitter && submitter.getAttribute("formmethod")) || form.getAttribute("method") || "get").toLowerCase();
    // A GET form asks for a page; so does the list's search box, which posts its text and is sent
    // on to the list (xiangcheng/admin.py PostedSearchAdminMixin). Other posts save or hand out files.
    // Attributes, not form.id, form.target, form.action: a field of that name would stand in its place.
    if (event.defaultPrevented || (method !== "get" && form.getAttribute("id") !== "changelist-search")) {
      return;
    }
    var target = form.getAttribute("target");
    if ((target && target !== "_self") || form.elements.format || form.elements.download) {
      return;
    }
    var url = parse((submitter && submitter.getAttribute("formaction")) || form.getAttribute("action"));
    if (url && url.origin === window.location.origin) {
      soon(event);
    }
  }

  function start() {
    region = document.createElement("div");
    region.className = "page-loading";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.appendChild(region);
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit);
  }

  // Back to this page from the browser's history (kept in memory): the page, not the notice.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      hide();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
