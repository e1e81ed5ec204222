// The assistance figures page: yuan per help kind (bars, households in the tooltip), students
// per education level of the study grants (a ring), raised and paid per source of funds
// (bars). Data from json_script: amounts as decimal strings, series names translated by the
// server. A chart with nothing to show is left out (its table says the zeros).
(function () {
  const source = document.getElementById("assistance-figures-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const yuan = (v) => "¥" + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2 });
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
  const axes = (labels) => ({
    grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, hideOverlap: true } },
    yAxis: { type: "value", axisLabel: { formatter: (v) => Number(v).toLocaleString() } },
  });

  const kinds = data.kinds;
  draw("assistance-kinds", kinds.amount, {
    ...axes(kinds.labels),
    tooltip: {
      trigger: "axis",
      renderMode: "richText",
      formatter: (items) => {
        const i = items[0].dataIndex;
        return `${kinds.labels[i]}\n${kinds.names[0]}：${yuan(kinds.amount[i])}\n${kinds.names[1]}：${kinds.households[i]}`;
      },
    },
    legend: { data: [kinds.names[0]], top: 0 },
    series: [{ name: kinds.names[0], type: "bar", barMaxWidth: 48, data: kinds.amount.map(Number) }],
  });

  const levels = data.levels;
  const narrow = window.innerWidth < 576;
  draw("assistance-levels", levels.children, {
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      formatter: (item) =>
        `${item.name}\n${levels.names[0]}：${item.value}\n${levels.names[1]}：${yuan(levels.amount[item.dataIndex])}`,
    },
    legend: { top: 0, type: "scroll" },
    series: [
      {
        name: levels.names[0],
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "58%"],
        // Outside labels are cut on a phone; there the legend names the parts.
        label: narrow ? { position: "inside", formatter: "{c}" } : { formatter: "{b}：{c}" },
        data: levels.labels.map((name, i) => ({ name, value: levels.children[i] })).filter((d) => d.value > 0),
      },
    ],
  });

  const sources = data.sources;
  draw("assistance-sources", sources.raised.concat(sources.paid), {
    ...axes(sources.labels),
    tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: yuan },
    legend: { data: sources.names, top: 0 },
    series: [
      { name: sources.names[0], type: "bar", barMaxWidth: 48, data: sources.raised.map(Number) },
      { name: sources.names[1], type: "bar", barMaxWidth: 48, data: sources.paid.map(Number) },
    ],
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
