/* 驾驶舱 charts: <div class="chart" data-echart="ID"> is drawn from <script type="application/json" id="ID">.
 *
 * The JSON is an ECharts option as it is, or {"option": {...}}. Any data item that is an object with a "url" is a
 * drill-down: clicking it goes there (the pointer shows it). Charts follow the window's size and are drawn again when
 * HTMX swaps new content in. Formatters are ECharts' string templates ("{b}: {c}"), never code from the page.
 * The custom-date inputs of the filter bar show only when the period is 自定义.
 */
(function () {
  "use strict";

  function optionFrom(spec) {
    var option = spec && spec.option ? spec.option : spec;
    if (option.animation === undefined) option.animation = false; // calm pages; screenshots show the real figures
    return option;
  }

  function drillUrl(params) {
    var item = params && params.data;
    return item && typeof item === "object" && !Array.isArray(item) && typeof item.url === "string" ? item.url : null;
  }

  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var source = document.getElementById(el.dataset.echart);
    if (!source) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(optionFrom(JSON.parse(source.textContent)));
    chart.on("click", function (params) {
      var url = drillUrl(params);
      if (url && url.charAt(0) === "/") window.location.assign(url); // same-site paths only
    });
    chart.on("mouseover", function (params) { el.style.cursor = drillUrl(params) ? "pointer" : "default"; });
    chart.on("mouseout", function () { el.style.cursor = "default"; });
    el.dataset.drawn = "1";
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () { chart.resize(); }, 120);
    });
  }

  function drawAll(root) { root.querySelectorAll("[data-echart]").forEach(draw); }

  function customDates(root) {
    root.querySelectorAll("form.cockpit-filter").forEach(function (form) {
      var period = form.querySelector("select[name=period]");
      var dates = form.querySelectorAll(".custom-dates");
      if (!period || form.dataset.bound) return;
      form.dataset.bound = "1";
      function sync() { dates.forEach(function (d) { d.hidden = period.value !== "custom"; }); }
      period.addEventListener("change", sync);
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); customDates(document); });
  // An outerHTML swap replaces its target: look again over the whole page (drawn charts are skipped).
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); customDates(document); });
})();
