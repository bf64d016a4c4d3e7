// The 12-month charts of the report page (Chart.js, served by the app itself).
(function () {
  var node = document.getElementById("series-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var colours = ["#0d5c63", "#e07a1f", "#7b4fa0", "#2f8f4e"];
  data.charts.forEach(function (chart) {
    var canvas = document.getElementById("chart-" + chart.id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: chart.id === "clients" ? "line" : "bar",
      data: {
        labels: data.months,
        datasets: chart.lines.map(function (line, i) {
          return { label: line.label, data: line.data, borderColor: colours[i], backgroundColor: colours[i] };
        })
      },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
  document.body.setAttribute("data-charts-ready", String(data.charts.length));
})();
