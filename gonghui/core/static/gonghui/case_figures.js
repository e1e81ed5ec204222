// Cases by type and tier (stacked bars) and the 12-month trend (data from json_script).
(function () {
  const source = document.getElementById("case-figures-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const byType = document.getElementById("cases-by-type");
  if (byType) {
    const chart = echarts.init(byType);
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 40, right: 20, bottom: 60, top: 40 },
      xAxis: { type: "category", data: data.types, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.tiers.map((tier) => ({ name: tier.label, type: "bar", stack: "t", data: tier.values })),
    });
    window.addEventListener("resize", () => chart.resize());
  }
  const trend = document.getElementById("cases-trend");
  if (trend) {
    const chart = echarts.init(trend);
    chart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 40, right: 20, bottom: 40, top: 20 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", smooth: true, areaStyle: {}, data: data.counts }],
    });
    window.addEventListener("resize", () => chart.resize());
  }
})();
