/* Every page: a record's add or change form is sent once. A double tap on 保存 on a phone sent
   it twice and saved the same visit twice; the second submit of a form already on its way is
   dropped. Back to the page from the browser's history, the form can be sent again.
   Loaded by templates/admin/base_site.html. */
(function () {
  "use strict";
  var SENT = "data-sent";

  // Django's admin add and change forms are <form id="<model>_form" method="post">.
  function recordForm(form) {
    var id = form.getAttribute("id") || "";
    var method = (form.getAttribute("method") || "get").toLowerCase();
    return method === "post" && /_form$/.test(id);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !recordForm(form)) {
      return;
    }
    if (form.hasAttribute(SENT)) {
      event.preventDefault();
      return;
    }
    form.setAttribute(SENT, "");
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[" + SENT + "]").forEach(function (form) {
        form.removeAttribute(SENT);
      });
    }
  });
})();
