/* Draws the dashboard's charts with the vendored ECharts; a click on a bar or slice opens the
   filtered list that number counts. The chart data comes from the page (json_script). */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || !window.echarts) {
    return;
  }
  var COLORS = ["#c62828", "#ef6c00", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#00838f"];
  var charts = [];

  function optionFor(spec) {
    if (spec.kind === "pie") {
      var series = spec.series[0];
      return {
        color: COLORS,
        tooltip: { trigger: "item" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          name: series.name,
          type: "pie",
          radius: ["35%", "62%"],
          center: ["50%", "45%"],
          data: spec.labels.map(function (label, i) { return { name: label, value: series.data[i] }; })
        }]
      };
    }
    return {
      color: COLORS,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.labels,
        axisLabel: { interval: 0, rotate: spec.labels.join("").length > 24 ? 30 : 0 }
      },
      yAxis: { type: "value", minInterval: 1 },
      series: spec.series.map(function (series) {
        return { name: series.name, type: spec.kind === "line" ? "line" : "bar", data: series.data };
      })
    };
  }

  JSON.parse(source.textContent).forEach(function (spec) {
    var element = document.getElementById(spec.id);
    if (!element) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption(optionFor(spec));
    chart.on("click", function (params) {
      var series = spec.kind === "pie" ? spec.series[0] : spec.series[params.seriesIndex];
      var url = series && series.urls[params.dataIndex];
      if (url) {
        window.location.href = url;
      }
    });
    charts.push(chart);
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
