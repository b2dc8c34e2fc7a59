/* The export form: once submitted, an overlay says the file is being written and how long it
   has taken, until the download begins. The form sends a random token; the response sets the
   cookie "download_token" to it (ImportExportAdmin._do_file_export), which ends the wait. */
(function () {
  "use strict";
  var COOKIE = "download_token";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text || "";
    return node;
  }

  function cookie() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function watch(form) {
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = COOKIE;
    form.appendChild(token);
    form.addEventListener("submit", function () {
      token.value = Math.random().toString(36).slice(2) + Date.now().toString(36);
      var overlay = element("div", "import-progress");
      overlay.setAttribute("role", "status");
      overlay.setAttribute("aria-live", "polite");
      var panel = element("div", "import-progress-panel");
      var time = element("p", "import-progress-time", "已用时 0 秒");
      panel.appendChild(element("p", "import-progress-title", "正在生成导出文件，下载将自动开始"));
      panel.appendChild(element("progress", "import-progress-bar"));
      panel.appendChild(element("p", "import-progress-stage", "数据库正在整理数据，行数多时需要几秒到几十秒。"));
      panel.appendChild(time);
      overlay.appendChild(panel);
      document.body.appendChild(overlay);
      var started = Date.now();
      var timer = window.setInterval(function () {
        time.textContent = "已用时 " + Math.round((Date.now() - started) / 1000) + " 秒";
        if (cookie() === token.value) {
          window.clearInterval(timer);
          overlay.remove();
        }
      }, 500);
    });
  }

  // The export form is the one choosing a format (the header's logout form is a form too).
  var format = document.querySelector("form [name=format]");
  if (format) {
    watch(format.form);
  }
})();
