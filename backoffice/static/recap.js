/* Recap page: draws the charts (Chart.js, served from /static/vendor/chartjs) from the JSON in
   each canvas's data-chart attribute; a click on a bar or slice opens the tickets behind it.
   Export page: polls the job status and shows the download link when the file is ready. */
(function () {
  "use strict";

  function drawChart(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (error) {
      return;
    }
    var datasets = [{
      type: spec.type,
      label: spec.title,
      data: spec.values,
      backgroundColor: spec.colors,
      borderWidth: spec.type === "doughnut" ? 1 : 0
    }];
    if (typeof spec.target === "number") {
      datasets.push({
        type: "line",
        label: spec.targetLabel,
        data: spec.labels.map(function () { return spec.target; }),
        borderColor: "#d32f2f",
        borderWidth: 2,
        borderDash: [6, 4],
        pointRadius: 0,
        fill: false
      });
    }
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: spec.type === "doughnut" || typeof spec.target === "number" } },
      onClick: function (_event, elements) {
        if (!elements.length || elements[0].datasetIndex !== 0) { return; }
        var link = spec.links[elements[0].index];
        if (link) { window.location.href = link; }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    };
    if (spec.type === "bar") {
      options.indexAxis = spec.horizontal ? "y" : "x";
      var valueAxis = spec.horizontal ? "x" : "y";
      options.scales = {};
      options.scales[valueAxis] = { beginAtZero: true, ticks: { precision: 0 } };
      if (typeof spec.max === "number") { options.scales[valueAxis].max = spec.max; }
    }
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: options
    });
    canvas.setAttribute("data-ready", "1");
    canvas.chartInstance = chart;
  }

  function drawCharts() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    if (!canvases.length) { return; }
    if (typeof window.Chart !== "function") {
      return;
    }
    for (var i = 0; i < canvases.length; i += 1) { drawChart(canvases[i]); }
    document.body.setAttribute("data-charts-ready", String(canvases.length));
  }

  function pollExport() {
    var panel = document.getElementById("export-progress");
    if (!panel) { return; }
    var url = panel.getAttribute("data-status-url");
    var bar = document.getElementById("export-bar");
    var statusText = document.getElementById("export-status");
    var ready = document.getElementById("export-ready");
    var download = document.getElementById("export-download");
    var rows = document.getElementById("export-rows");
    var errorBox = document.getElementById("export-error");

    function show(state) {
      panel.setAttribute("data-status", state.status);
      statusText.textContent = state.label;
      bar.value = state.progress;
      bar.textContent = state.progress + " %";
      if (state.download_url) {
        download.href = state.download_url;
        if (state.rows !== null) { rows.textContent = state.rows + " aduan"; }
        ready.hidden = false;
      }
      if (state.error) {
        errorBox.textContent = state.error;
        errorBox.hidden = false;
      }
      return state.status === "selesai" || state.status === "gagal";
    }

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (state && show(state)) { return; }
          window.setTimeout(tick, 1500);
        })
        .catch(function () { window.setTimeout(tick, 5000); });
    }

    var current = panel.getAttribute("data-status");
    if (current !== "selesai" && current !== "gagal") { tick(); }
  }

  function start() {
    drawCharts();
    pollExport();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
