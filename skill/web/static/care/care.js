// Draws the caregiver dashboard's two charts with the bundled Chart.js; every label comes
// from the page's data, in the page's language.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const labels = data.labels;
  const colours = ["#2563eb", "#16a34a", "#d97706", "#7c3aed"];
  window.spineCoachCharts = {};

  const setsCanvas = document.getElementById("sets-chart");
  if (setsCanvas) {
    const datasets = [];
    data.exercises.forEach(function (exercise, index) {
      const colour = colours[index % colours.length];
      datasets.push({ type: "bar", label: exercise.name, data: exercise.perDay, backgroundColor: colour });
      datasets.push({
        type: "line", label: exercise.targetLabel, data: data.days.map(function () { return exercise.target; }),
        borderColor: colour, borderDash: [6, 4], pointRadius: 0, fill: false,
      });
    });
    window.spineCoachCharts.sets = new Chart(setsCanvas, {
      data: { labels: data.days, datasets: datasets },
      options: {
        animation: false, responsive: true, aspectRatio: 1.1, locale: data.locale,
        scales: { y: { beginAtZero: true, title: { display: true, text: labels.sets } } },
      },
    });
  }

  const painCanvas = document.getElementById("pain-chart");
  if (painCanvas) {
    window.spineCoachCharts.pain = new Chart(painCanvas, {
      type: "line",
      data: {
        labels: data.pain.map(function (point) { return point.at; }),
        datasets: [{ label: labels.pain, data: data.pain.map(function (point) { return point.score; }), borderColor: "#dc2626", tension: 0.2 }],
      },
      options: { animation: false, responsive: true, locale: data.locale, scales: { y: { min: 0, max: 10 } } },
    });
  }
})();
