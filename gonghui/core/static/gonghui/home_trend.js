// The staff home's twelve-month trend: one line per flow figure (data from json_script in
// the activity card, which htmx swaps in after the page has loaded).
(function () {
  function draw() {
    const source = document.getElementById("home-trend-data");
    const target = document.getElementById("home-trend");
    if (!source || !target || target.dataset.drawn || typeof echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const chart = echarts.init(target);
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: 16, bottom: 32, top: 40 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map((s) => ({ name: s.name, type: "line", smooth: true, data: s.values })),
    });
    target.dataset.drawn = "1";
    window.addEventListener("resize", () => chart.resize());
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSettle", draw);
})();
