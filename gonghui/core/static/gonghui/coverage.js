// Bar chart of the three coverage rates per child organisation (data from json_script).
(function () {
  const el = document.getElementById("coverage-chart");
  const source = document.getElementById("coverage-data");
  if (!el || !source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const en = document.documentElement.lang === "en";
  const names = en
    ? ["Unionisation", "Membership", "Workers' homes"]
    : ["建会率", "入会率", "创建率"];
  const pct = (v) => (v === "" || v === null ? null : Math.round(v * 1000) / 10);
  const chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v === null ? "—" : v + "%") },
    legend: { data: names, top: 0 },
    grid: { left: 40, right: 20, bottom: 90, top: 40 },
    xAxis: { type: "category", data: data.labels, axisLabel: { rotate: data.labels.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: names[0], type: "bar", data: data.unionisation.map(pct) },
      { name: names[1], type: "bar", data: data.membership.map(pct) },
      { name: names[2], type: "bar", data: data.homes.map(pct) },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
