/* The organization tree (templates/admin/branches/organization/tree.html): a toggle opens an
   organization's children in place, fetched from the list as an HTML fragment (?parent=<code>),
   and closes them again. Without this script each toggle is a link to the page with that
   organization opened (?expand=<code>); a failed fetch follows that link. */
(function () {
  "use strict";
  var tree = document.getElementById("organization-tree");
  if (!tree || !window.fetch) {
    return;
  }

  function childList(item) {
    for (var i = 0; i < item.children.length; i++) {
      if (item.children[i].tagName === "UL") {
        return item.children[i];
      }
    }
    return null;
  }

  function show(toggle, expanded) {
    var name = toggle.parentNode.querySelector(".org-name").textContent;
    toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
    toggle.setAttribute("aria-label", (expanded ? "收起" : "展开") + name + "的下级组织");
  }

  function load(toggle, item) {
    item.setAttribute("aria-busy", "true");
    fetch(toggle.getAttribute("data-children"), { credentials: "same-origin" })
      .then(function (response) {
        // A sign-in page (an ended session) or an error: the link itself says what happened.
        if (!response.ok || response.redirected) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var list = holder.querySelector("ul.org-tree-children");
        if (!list) {
          throw new Error("no children");
        }
        if (!childList(item)) {
          item.appendChild(list);
        }
        item.removeAttribute("aria-busy");
        show(toggle, true);
      })
      .catch(function () {
        window.location.href = toggle.href;
      });
  }

  tree.addEventListener("click", function (event) {
    var toggle = event.target.closest(".org-tree-toggle");
    if (!toggle || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    event.preventDefault();
    var item = toggle.closest("li");
    if (item.getAttribute("aria-busy") === "true") {
      return;
    }
    var list = childList(item);
    var expanded = toggle.getAttribute("aria-expanded") === "true";
    if (list) {
      list.hidden = expanded;
      show(toggle, !expanded);
    } else if (!expanded) {
      load(toggle, item);
    }
  });
})();
