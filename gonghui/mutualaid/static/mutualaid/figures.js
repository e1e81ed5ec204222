// The mutual-aid figures page: insured people and claims per period (bars) with the zero-trip
// share (a line on its own axis), and the chosen period's benefit per category (bars). Data
// from json_script; series names translated by the server.
(function () {
  const source = document.getElementById("mutualaid-figures-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const charts = [];
  function draw(id, values, option) {
    const el = document.getElementById(id);
    if (!el) return;
    if (!values.some((v) => Number(v) > 0)) {
      el.hidden = true;
      return;
    }
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  const n = data.names;
  draw("mutualaid-series", data.insured.concat(data.claims), {
    grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [n[0], n[1], n[2]], top: 0 },
    xAxis: { type: "category", data: data.periods },
    yAxis: [
      { type: "value", axisLabel: { formatter: (v) => Number(v).toLocaleString() } },
      { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    ],
    series: [
      { name: n[0], type: "bar", barMaxWidth: 40, data: data.insured },
      { name: n[1], type: "bar", barMaxWidth: 40, data: data.claims },
      { name: n[2], type: "line", yAxisIndex: 1, data: data.zero_trip.map(Number) },
    ],
  });
  draw("mutualaid-categories", data.benefit, {
    grid: { left: 8, right: 16, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [n[3]], top: 0 },
    xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, hideOverlap: true } },
    yAxis: { type: "value", axisLabel: { formatter: (v) => Number(v).toLocaleString() } },
    series: [{ name: n[3], type: "bar", barMaxWidth: 48, data: data.benefit.map(Number) }],
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
