/* 销管 — the little script the pages need: drag deals between stages, and the quick log's local state. */
(function () {
  "use strict";

  // ---- Board: drag a deal card onto another stage column (desktop). Phones use the card's "move to" select. ----
  var dragged = null;

  function columnOf(node) {
    return node && node.closest ? node.closest(".column[data-stage]") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  }

  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest ? e.target.closest(".deal[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (e) {
    var column = columnOf(e.target);
    if (!column || !dragged) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      column.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (e) {
    var column = columnOf(e.target);
    if (!column || !dragged) return;
    e.preventDefault();
    var card = dragged;
    clearTargets();
    if (columnOf(card) === column) return;
    column.querySelector(".cards").prepend(card); // shown at once; the server's re-drawn board follows
    var values = {};
    var filters = document.getElementById("board-filters");
    if (filters) new FormData(filters).forEach(function (v, k) { values[k] = v; });
    values.stage = column.dataset.stage;
    window.htmx.ajax("POST", card.dataset.moveUrl, { target: "#board", swap: "outerHTML", values: values });
  });

  // ---- A refused or failed HTMX request (403, 404, 500, no network): say so instead of doing nothing. ----
  function toast(text) {
    var box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "alert");
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 5000);
  }
  ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      var status = e.detail && e.detail.xhr ? e.detail.xhr.status : 0;
      toast(document.body.dataset.errorMessage + (status ? " (" + status + ")" : ""));
      // A dropped card was moved at once; when the server refused, redraw the board as it really is.
      var target = e.detail && e.detail.target;
      if (target && target.id === "board") {
        window.htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#board", swap: "outerHTML" });
      }
    });
  });

  // ---- Charts: <div data-chart="ID" data-kind="bar|hbar"> reads {labels, values, name} from <script id="ID">. ----
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var horizontal = el.dataset.kind === "hbar";
      var category = { type: "category", data: data.labels, axisTick: { show: false }, axisLine: { lineStyle: { color: "#cfd5de" } },
                       axisLabel: { color: "#667085" } };
      var value = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f5" } }, axisLabel: { color: "#98a2b3" } };
      var chart = window.echarts.init(el);
      chart.setOption({
        animation: false, // calm pages, and screenshots show the real bars
        grid: { left: 8, right: 16, top: 12, bottom: 4, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: [{ type: "bar", name: data.name, data: data.values, barMaxWidth: 26,
                   itemStyle: { color: "#1f6feb", borderRadius: horizontal ? [0, 4, 4, 0] : [4, 4, 0, 0] },
                   label: { show: true, position: horizontal ? "right" : "top", color: "#475467", fontSize: 11 } }],
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });

  // ---- Quick log (Alpine): position for visits and check-ins, and one-tap follow-up times. ----
  function localIso(d) {
    function pad(n) { return String(n).padStart(2, "0"); }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("quickLog", function () {
      var source = document.getElementById("located-kinds");
      var locatedKinds = source ? JSON.parse(source.textContent) : [];
      return {
        kind: "",
        geo: "idle", // idle | asking | ok | denied
        changing: false,
        init: function () {
          var checked = this.$root.querySelector("input[name=kind]:checked");
          this.kind = checked ? checked.value : "";
          this.locate();
        },
        wantsPlace: function () { return locatedKinds.indexOf(this.kind) >= 0; },
        locate: function () {
          if (!this.wantsPlace() || this.geo === "ok" || this.geo === "asking") return;
          if (!navigator.geolocation) { this.geo = "denied"; return; }
          var self = this;
          this.geo = "asking";
          navigator.geolocation.getCurrentPosition(
            function (p) {
              self.$refs.lat.value = p.coords.latitude.toFixed(6);
              self.$refs.lng.value = p.coords.longitude.toFixed(6);
              self.geo = "ok";
            },
            function () { self.geo = "denied"; },
            { enableHighAccuracy: true, timeout: 10000, maximumAge: 120000 }
          );
        },
        preset: function (days, hour) {
          var d = new Date();
          d.setDate(d.getDate() + days);
          d.setHours(hour, 0, 0, 0);
          this.$refs.next.value = localIso(d);
        },
      };
    });
  });
})();
