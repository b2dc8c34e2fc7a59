/* The organization chart (templates/admin/branches/organization/chart.html), drawn with the
   vendored ECharts from the page's data (json_script, branches/orgchart.py). The top of the
   user's scope opens with its children shown and everything deeper closed. A click on a node's
   dot opens or closes its children and shows the node's numbers above the chart, each a link to
   its list; a click on its name opens its first list (the members on the roll of its subtree).
   The chart is sized to the nodes shown, their names measured, and scrolls in its box when it
   is larger, so a phone scrolls it like a page instead of panning a canvas. */
(function () {
  "use strict";
  var source = document.getElementById("organization-chart-data");
  var element = document.getElementById("organization-chart");
  var detail = document.getElementById("organization-chart-detail");
  if (!source || !element || !detail || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var numbers = data.numbers;
  var root = data.tree;
  var box = element.parentNode;
  var TODO = "#c62828";
  var CLEAR = "#2e7d32";
  var INACTIVE = "#9e9e9e";
  var FONT = "sans-serif";
  var NAME_STYLE = { fontSize: 13, fontWeight: "bold", color: "#222", lineHeight: 18, fontFamily: FONT };
  var META_STYLE = { fontSize: 11, color: "#555", lineHeight: 16, fontFamily: FONT };
  // From a dot's centre to its name: half the dot, the label's distance and its padding.
  var LABEL_GAP = 9 + 8 + 2 * 4;
  // Above the top row and below the last.
  var MARGIN_Y = 24;
  var HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  var ruler = document.createElement("canvas").getContext("2d");
  var chart = null;
  var nodes = {};

  function hasChildren(node) {
    return Boolean(node.children && node.children.length);
  }

  function isOpen(node) {
    return hasChildren(node) && !node.collapsed;
  }

  function eachNode(node, visit, depth) {
    visit(node, depth || 0);
    if (hasChildren(node)) {
      node.children.forEach(function (child) { eachNode(child, visit, (depth || 0) + 1); });
    }
  }

  // The nodes drawn: the top, and the children of every opened node.
  function eachShown(visit) {
    (function walk(node, depth) {
      visit(node, depth);
      if (isOpen(node)) {
        node.children.forEach(function (child) { walk(child, depth + 1); });
      }
    })(root, 0);
  }

  function todos(node) {
    return numbers.reduce(function (sum, number, i) { return number.todo ? sum + node.counts[i] : sum; }, 0);
  }

  function listUrl(number, node) {
    // The node above several organizations of a secretary opens the list of their whole scope.
    return node.code ? number.url.replace(data.code_slot, encodeURIComponent(node.code)) : number.scope_url;
  }

  function figure(value) {
    return Number(value).toLocaleString("zh-CN");
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return HTML_ESCAPES[c]; });
  }

  // A name as the label draws it: lines of `size` characters, at most two (the second cut short
  // with an ellipsis). Braces and bars are the label's rich-text markup: left out of a name.
  function nameLines(name, size) {
    var plain = String(name).replace(/[{}|]/g, "");
    if (plain.length > 2 * size) {
      plain = plain.slice(0, 2 * size - 1) + "…";
    }
    var lines = [];
    for (var start = 0; start < plain.length; start += size) {
      lines.push(plain.slice(start, start + size));
    }
    return lines;
  }

  function summary(node) {
    var parts = [];
    numbers.forEach(function (number, i) {
      if (number.key === "members") {
        parts.push("党员 " + figure(node.counts[i]));
      }
    });
    if (numbers.some(function (number) { return number.todo; })) {
      parts.push("待办 " + figure(todos(node)));
    }
    return parts.join(" · ");
  }

  function textWidth(text, style) {
    ruler.font = (style.fontWeight || "normal") + " " + style.fontSize + "px " + style.fontFamily;
    return ruler.measureText(text).width;
  }

  // From a dot's centre to the far end of its name.
  function labelReach(node, chars) {
    var widths = nameLines(node.name, chars).map(function (line) { return textWidth(line, NAME_STYLE); });
    widths.push(textWidth(summary(node), META_STYLE));
    return LABEL_GAP + Math.max.apply(null, widths);
  }

  /* The chart's size and margins for the nodes shown. ECharts puts the levels at equal steps
     between the left and right margins: the top's name (left of its dot) needs the left margin;
     an opened node's name (left of its dot) needs the step from its parent; a closed node's or
     a leaf's name (right of its dot) must end inside the chart. Wider boxes get wider steps, up
     to a point; taller trees get a taller chart. */
  function measure() {
    var narrow = box.clientWidth < 600;
    var chars = narrow ? 6 : 11;
    var rows = 0;
    var lines = 1;
    eachShown(function (node) {
      lines = Math.max(lines, nameLines(node.name, chars).length);
      rows += isOpen(node) ? 0 : 1;
    });
    var rowHeight = lines * NAME_STYLE.lineHeight + META_STYLE.lineHeight + (narrow ? 18 : 14);
    // Sizes set through the style object (CSSOM): the Content-Security-Policy refuses only style
    // attributes. The height first: a box that must now scroll down has less width to show.
    element.style.height = Math.ceil(Math.max(narrow ? 240 : 320, rows * rowHeight + 2 * MARGIN_Y)) + "px";
    var opened = [];
    var closed = [];
    var depth = 0;
    eachShown(function (node, level) {
      var reach = labelReach(node, chars);
      depth = Math.max(depth, level);
      if (isOpen(node)) {
        opened[level] = Math.max(opened[level] || 0, reach);
      } else {
        closed[level] = Math.max(closed[level] || 0, reach);
      }
    });
    var left = Math.max(opened[0] || 0, 16);
    var step = 60;
    for (var level = 1; level <= depth; level++) {
      step = Math.max(step, (opened[level] || 0) + 16);
    }
    var needed = left + 16;
    for (level = 0; level <= depth; level++) {
      needed = Math.max(needed, left + level * step + (closed[level] || 0) + 8);
    }
    var width = Math.max(box.clientWidth, needed);
    if (depth > 0 && width > needed) {
      step = Math.max(step, Math.min(step + (width - needed) / depth, 320));
    }
    element.style.width = Math.ceil(width) + "px";
    return { narrow: narrow, chars: chars, left: left, right: Math.max(width - left - depth * step, 16) };
  }

  // Each node's colour says whether its subtree has to-dos; a filled dot has closed children.
  // The name sits right of a dot with nothing shown beyond it, left of an opened one.
  function paint(view) {
    eachNode(root, function (node) {
      var color = node.inactive ? INACTIVE : todos(node) ? TODO : CLEAR;
      var side = isOpen(node) ? "right" : "left";
      node.itemStyle = { color: hasChildren(node) && node.collapsed ? color : "#fff", borderColor: color };
      var name = nameLines(node.name, view.chars).map(function (line) { return "{name|" + line + "}"; });
      node.label = {
        position: isOpen(node) ? "left" : "right",
        align: side,
        formatter: name.join("\n") + "\n{meta|" + summary(node) + "}",
        rich: { name: Object.assign({ align: side }, NAME_STYLE), meta: Object.assign({ align: side }, META_STYLE) }
      };
    });
  }

  function tooltip(params) {
    var node = params.data;
    if (!node || !node.counts) {
      return "";
    }
    var lines = ["<strong>" + escapeHtml(node.name) + "</strong>" + (node.kind ? " " + escapeHtml(node.kind) : "")];
    numbers.forEach(function (number, i) {
      lines.push(escapeHtml(number.label) + "：" + figure(node.counts[i]) + escapeHtml(number.unit));
    });
    lines.push(node.inactive ? "（该组织已无效；以上均含下级组织）" : "（以上均含下级组织）");
    return lines.join("<br>");
  }

  function option(view) {
    return {
      tooltip: {
        trigger: "item",
        triggerOn: "mousemove|click",
        confine: true,
        className: "org-chart-tooltip",
        formatter: tooltip
      },
      series: [{
        type: "tree",
        data: [root],
        orient: "LR",
        layout: "orthogonal",
        left: view.left,
        right: view.right,
        top: MARGIN_Y,
        bottom: MARGIN_Y,
        roam: false,
        // Opening and closing is done here, so the chart's size follows the nodes shown.
        expandAndCollapse: false,
        symbol: "circle",
        symbolSize: view.narrow ? 18 : 14,
        itemStyle: { borderWidth: 2 },
        lineStyle: { color: "#b0b0b0", width: 1.2, curveness: 0.5 },
        label: {
          distance: 8,
          verticalAlign: "middle",
          backgroundColor: "rgba(255, 255, 255, 0.9)",
          padding: [2, 4],
          borderRadius: 3
        },
        emphasis: { focus: "none" },
        animationDuration: 300,
        animationDurationUpdate: 300
      }]
    };
  }

  // Drawn for the nodes now shown. The node just opened or closed (`focus`, with its data index)
  // is scrolled into view, its name at the box's left and its row in the middle: opening a town
  // moves it to the middle of its children.
  function draw(focus, index) {
    var view = measure();
    paint(view);
    chart.resize();
    chart.setOption(option(view));
    var layout = focus ? chart.getModel().getSeriesByIndex(0).getData().getItemLayout(index) : null;
    if (layout) {
      var x = view.left + layout.x;
      box.scrollTop = Math.max(0, MARGIN_Y + layout.y - box.clientHeight / 2);
      box.scrollLeft = Math.max(0, isOpen(focus) ? x - labelReach(focus, view.chars) - 8 : x - 24);
    }
  }

  // The chosen node's numbers, each a link to the list of exactly its rows.
  function choose(node) {
    detail.textContent = "";
    var title = document.createElement("h2");
    title.className = "org-chart-detail-title";
    title.textContent = node.name + (node.kind ? "（" + node.kind + "）" : "");
    var list = document.createElement("ul");
    list.className = "org-chart-numbers";
    numbers.forEach(function (number, i) {
      var item = document.createElement("li");
      item.className = number.todo ? "org-chart-number org-chart-todo" : "org-chart-number";
      var link = document.createElement("a");
      link.href = listUrl(number, node);
      var value = document.createElement("span");
      value.className = "org-chart-value";
      value.textContent = figure(node.counts[i]);
      var label = document.createElement("span");
      label.className = "org-chart-label";
      label.textContent = number.label + "（" + number.unit + "）";
      link.appendChild(value);
      link.appendChild(label);
      item.appendChild(link);
      list.appendChild(item);
    });
    var note = document.createElement("p");
    note.className = "help";
    note.textContent = (node.inactive ? "该组织已无效。" : "") + "数字均含下级组织；待办按本季度、本年度统计至今日。";
    detail.appendChild(title);
    detail.appendChild(list);
    detail.appendChild(note);
  }

  // A click's target is the drawn piece under the pointer: a piece of the name's text, or the dot.
  function onName(params) {
    var piece = params.event && params.event.target;
    while (piece) {
      if (piece.type === "text" || piece.type === "tspan") {
        return true;
      }
      piece = piece.parent;
    }
    return false;
  }

  eachNode(root, function (node, depth) {
    nodes[node.code] = node;
    if (hasChildren(node)) {
      node.collapsed = depth >= 1;
    }
  });
  chart = window.echarts.init(element, null, { renderer: "canvas", locale: "ZH" });
  draw();
  choose(root);

  chart.on("click", function (params) {
    // ECharts hands over its own copy of the data item: the node itself is found by its code.
    var node = params.data && nodes[params.data.code];
    if (!node) {
      return;
    }
    if (onName(params) && numbers.length) {
      window.location.href = listUrl(numbers[0], node);
      return;
    }
    choose(node);
    if (hasChildren(node)) {
      node.collapsed = !node.collapsed;
      draw(node, params.dataIndex);
    }
  });

  // Drawn again when the box changes width (a turned phone, the admin's side menu opened or closed).
  var width = box.clientWidth;
  function refit() {
    if (box.clientWidth !== width) {
      width = box.clientWidth;
      draw();
    }
  }
  if (window.ResizeObserver) {
    new window.ResizeObserver(refit).observe(box);
  } else {
    window.addEventListener("resize", refit);
  }
})();
