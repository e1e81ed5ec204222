// The staff home's twelve-month trend: one line per flow figure (data in the chart element's
// data-chart attribute: the activity card is swapped in by htmx, which drops script elements).
(function () {
  function draw() {
    const target = document.getElementById("home-trend");
    if (!target || target.dataset.drawn || typeof echarts === "undefined") return;
    const data = JSON.parse(target.dataset.chart);
    const chart = echarts.init(target);
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: 16, bottom: 32, top: 40 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map((s) => ({ name: s.name, type: "line", smooth: true, smoothMonotone: "x", data: s.values })),
    });
    target.dataset.drawn = "1";
    window.addEventListener("resize", () => chart.resize());
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSettle", draw);
})();
