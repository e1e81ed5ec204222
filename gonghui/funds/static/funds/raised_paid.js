// Raised versus paid: per organisation of the next level, per month and per source of funds
// (bars; data from json_script, amounts as decimal strings).
(function () {
  const source = document.getElementById("raised-paid-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const en = document.documentElement.lang === "en";
  const names = en ? ["Raised", "Paid"] : ["筹集", "发放"];
  const yuan = (v) => Number(v);
  function bars(id, series, rotate) {
    const el = document.getElementById(id);
    if (!el || !series.labels.length) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        valueFormatter: (v) => "¥" + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2 }),
      },
      legend: { data: names, top: 0 },
      grid: { left: 70, right: 20, bottom: rotate ? 80 : 40, top: 40 },
      xAxis: { type: "category", data: series.labels, axisLabel: { rotate: rotate ? 30 : 0, interval: 0 } },
      yAxis: { type: "value" },
      series: [
        { name: names[0], type: "bar", data: series.raised.map(yuan) },
        { name: names[1], type: "bar", data: series.paid.map(yuan) },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  bars("raised-paid-children", data.children, data.children.labels.length > 5);
  bars("raised-paid-months", data.months, false);
  bars("raised-paid-kinds", data.kinds, false);
})();
