/* The import and confirm forms: once submitted, an overlay says how far the import is (rows
   read, validated, written, out of how many, and the seconds so far), asking the progress
   endpoint once a second with the form's token (xiangcheng/progress.py). */
(function () {
  "use strict";
  var script = document.querySelector("script[data-progress-url]");
  if (!script || !window.fetch) {
    return;
  }
  var url = script.getAttribute("data-progress-url");
  var timer = null;
  var shown = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function showOverlay() {
    var overlay = element("div", "import-progress");
    overlay.setAttribute("role", "status");
    overlay.setAttribute("aria-live", "polite");
    var panel = element("div", "import-progress-panel");
    var view = {
      bar: element("progress", "import-progress-bar"),
      stage: element("p", "import-progress-stage", "正在上传并读取文件…"),
      detail: element("p", "import-progress-detail"),
      time: element("p", "import-progress-time", "已用时 0 秒")
    };
    panel.appendChild(element("p", "import-progress-title", "正在导入，请勿关闭或刷新本页面"));
    panel.appendChild(view.bar);
    panel.appendChild(view.stage);
    panel.appendChild(view.detail);
    panel.appendChild(view.time);
    overlay.appendChild(panel);
    document.body.appendChild(overlay);
    view.overlay = overlay;
    return view;
  }

  function show(view, progress) {
    view.stage.textContent = progress.label + " " + progress.done + " / " + progress.total + " 行";
    view.detail.textContent = progress.text;
    view.bar.max = Math.max(progress.total, 1);
    view.bar.value = progress.done;
  }

  function watch(form) {
    var token = form.querySelector("input[name=progress_token]");
    if (!token || !token.value) {
      return;
    }
    form.addEventListener("submit", function () {
      var view = showOverlay();
      var started = Date.now();
      shown = view;
      timer = window.setInterval(function () {
        view.time.textContent = "已用时 " + Math.round((Date.now() - started) / 1000) + " 秒";
        fetch(url + "?token=" + encodeURIComponent(token.value), {
          credentials: "same-origin",
          headers: { Accept: "application/json" }
        })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (progress) {
            if (progress && progress.total) {
              show(view, progress);
            }
          })
          .catch(function () { /* The next second asks again. */ });
      }, 1000);
    });
  }

  // Coming back to this page from the browser's history shows the form, not a stale overlay.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && shown) {
      window.clearInterval(timer);
      shown.overlay.remove();
      shown = null;
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("form"), watch);
})();
