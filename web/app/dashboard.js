// The edustats dashboard. A client of the public GraphQL API like any third party: it uses
// nothing the API does not offer to everyone. No build step: plain ES2017 in one file.
//
// State lives in the URL hash (#view=ranking&indicator=…&year=…&lang=…), so a pasted link
// opens the same view; every control writes the hash and every hash change redraws.
(function () {
  "use strict";

  // ------------------------------------------------------------------ words
  var WORDS = {
    zh: {
      title: "重庆市区县教育统计", graphiql: "GraphQL 接口", review: "报告审核", indicators: "指标", search: "搜索",
      searchHint: "名称或代码", category: "类别", allCategories: "全部类别", ranking: "排名",
      change: "变化", series: "时间序列", compare: "对比", source: "原文", year: "年份",
      from: "起", district: "区县", csv: "下载 CSV", png: "下载图片",
      footer: "数据来自各区县教育督导报告；每个数值均可追溯到原文。",
      langButton: "English", loading: "正在加载…", loadError: "加载失败：",
      noIndicators: "没有符合条件的指标。", pickIndicator: "请在左侧选择一个指标。",
      noValues: "该指标在所选年份及之前没有区县数据。",
      coverage: function (n, m) { return "已排名 " + n + " / " + m + " 个区县"; },
      covShort: function (n, y) { return n + " 个区县有数据" + (y ? "，" + y : ""); },
      missing: function (n) { return "无数据的区县（" + n + "）："; },
      yearUsed: function (y) { return "（" + y + "年数据）"; },
      rank: "名次", value: "数值", yearCol: "年份", districtCol: "区县", tie: "并列",
      quote: "原文", report: "报告", docNo: "文号", date: "日期", openSource: "查看原文",
      exact: "精确值", flagged: "数据质量提示", noData: "无数据",
      better: { higher_is_better: "越高越好", lower_is_better: "越低越好", neutral: "无优劣方向" },
      fromV: "起始值", toV: "终止值", absChange: "变化量", relChange: "相对变化",
      pp: "个百分点", gap: { MISSING_FROM: "起始年无数据", MISSING_TO: "终止年无数据", MISSING_BOTH: "两年均无数据", ZERO_BASE: "起始值为零" },
      target: "目标", actual: "实际", noSeries: "该区县没有此指标的逐年数据。",
      noSource: "选择一个数值（点击排名中的条目）以查看其原文。", noChange: "所选两年之间没有可比较的数据。",
      compareNote: "所选年份（及之前最近一年）各区县在本类别指标上的数值；颜色按列深浅。",
      units: { yuan: "元", person: "人", person_time: "人次", percent: "%", count: "个", square_meter: "平方米", mu: "亩", hour: "小时", minute: "分钟", day: "天", year: "年", ratio: "", times: "倍", score: "分", rank: "位" },
      categories: { funding: "经费", enrolment: "入学", schools: "学校", teachers: "教师", facilities: "办学条件", digital: "教育信息化", equity: "教育公平", quality: "教育质量", health: "学生健康", safety: "校园安全", governance: "教育治理", supervision: "督导" }
    },
    en: {
      title: "Education statistics of Chongqing's districts", graphiql: "GraphQL API", review: "Review a report", indicators: "Indicators",
      search: "Search", searchHint: "name or code", category: "Category", allCategories: "All categories",
      ranking: "Ranking", change: "Change", series: "Time series", compare: "Compare", source: "Source",
      year: "Year", from: "From", district: "District", csv: "Download CSV", png: "Download image",
      footer: "Figures from the districts' education supervision reports; every value links to its source text.",
      langButton: "中文", loading: "Loading…", loadError: "Could not load: ",
      noIndicators: "No indicator matches.", pickIndicator: "Pick an indicator on the left.",
      noValues: "No district has a value for this indicator in or before the chosen year.",
      coverage: function (n, m) { return n + " of " + m + " districts ranked"; },
      covShort: function (n, y) { return n + (n === 1 ? " district" : " districts") + " with data" + (y ? ", " + y : ""); },
      missing: function (n) { return "No value (" + n + "): "; },
      yearUsed: function (y) { return " (" + y + " value)"; },
      rank: "Rank", value: "Value", yearCol: "Year", districtCol: "District", tie: "tied",
      quote: "Quote", report: "Report", docNo: "Document no.", date: "Date", openSource: "Open the source text",
      exact: "Exact value", flagged: "Data-quality flag", noData: "no data",
      better: { higher_is_better: "higher is better", lower_is_better: "lower is better", neutral: "no better direction" },
      fromV: "From", toV: "To", absChange: "Change", relChange: "Relative change",
      pp: "percentage points", gap: { MISSING_FROM: "no value in the first year", MISSING_TO: "no value in the second year", MISSING_BOTH: "no value in either year", ZERO_BASE: "first value is zero" },
      target: "Target", actual: "Actual", noSeries: "This district has no yearly values of this indicator.",
      noSource: "Pick a value (click an entry of the ranking) to see its source text.", noChange: "No comparable values between these two years.",
      compareNote: "Values of this category's indicators in the chosen year (or the latest before it); colour scaled per column.",
      units: { yuan: "yuan", person: "people", person_time: "person-times", percent: "%", count: "", square_meter: "m²", mu: "mu", hour: "h", minute: "min", day: "days", year: "years", ratio: "", times: "×", score: "points", rank: "" },
      categories: { funding: "Funding", enrolment: "Enrolment", schools: "Schools", teachers: "Teachers", facilities: "Facilities", digital: "Digital education", equity: "Equity", quality: "Quality", health: "Health", safety: "Safety", governance: "Governance", supervision: "Supervision" }
    }
  };

  var state = {};          // parsed from the hash
  var catalog = null;      // { indicators, districts, byCode, districtByCode }
  var charts = {};         // ECharts instances by element id
  var lastShown = null;    // provenance of the value last shown (for the source view)
  var mapReady = null;     // promise of the registered map
  var requestSeq = 0;      // only the latest redraw may write the page

  function t(key) { return WORDS[state.lang][key]; }
  function el(id) { return document.getElementById(id); }
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  // ------------------------------------------------------------------ URL state
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    return {
      view: p.get("view") || "ranking",
      indicator: p.get("indicator") || "",
      year: p.get("year") ? parseInt(p.get("year"), 10) : null,
      from: p.get("from") ? parseInt(p.get("from"), 10) : null,
      district: p.get("district") || "",
      source: p.get("source") || "",
      obs: p.get("obs") || "",
      lang: p.get("lang") === "en" ? "en" : "zh",
      q: p.get("q") || "",
      cat: p.get("cat") || ""
    };
  }
  function writeHash(changes) {
    var next = Object.assign({}, state, changes);
    var p = new URLSearchParams();
    ["view", "indicator", "year", "from", "district", "source", "obs", "lang", "q", "cat"].forEach(function (k) {
      if (next[k] !== null && next[k] !== "" && next[k] !== undefined) p.set(k, String(next[k]));
    });
    var hash = "#" + p.toString();
    if (hash !== location.hash) location.hash = hash; else render();
  }

  // ------------------------------------------------------------------ API
  function gql(query, variables) {
    return fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: query, variables: variables || {} })
    }).then(function (r) {
      return r.json().catch(function () { throw new Error("HTTP " + r.status); });
    }).then(function (body) {
      if (body.errors && body.errors.length) {
        var e = body.errors[0];
        throw new Error(e.message + (e.extensions && e.extensions.code ? " (" + e.extensions.code + ")" : ""));
      }
      return body.data;
    });
  }

  var OBS = "observation { key valueText reportedUnit qualifier quote note kind " +
    "qualityFlags { code severity message } source { code titleZh titleEn documentNumber date } }";

  // ------------------------------------------------------------------ formatting
  function name(o) { return o ? (state.lang === "zh" ? o.nameZh : o.nameEn) : ""; }
  // The Chinese view shows the Chinese definition; an indicator confirmed from a draft may have
  // none yet, and then the English one is better than nothing.
  function definition(ind) { return state.lang === "zh" && ind.definitionZh ? ind.definitionZh : ind.definition; }
  function unitLabel(unit) {
    var u = t("units")[unit];
    return u === undefined ? unit : u;
  }
  function exact(v, unit) {
    var s = v.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { maximumFractionDigits: 6 });
    var u = unitLabel(unit);
    return u ? s + (state.lang === "en" && u !== "%" ? " " + u : u) : s;
  }
  function trim(x) { return Number(x.toFixed(2)).toString(); }
  // Chinese readers count in 万 (1e4) and 亿 (1e8); English readers get thousands separators
  // and "million"/"billion". The exact value is always one hover away (title attribute).
  function short(v, unit) {
    var a = Math.abs(v);
    var u = unitLabel(unit);
    if (state.lang === "zh") {
      if (a >= 1e8) return trim(v / 1e8) + "亿" + u;
      if (a >= 1e4 && unit !== "percent") return trim(v / 1e4) + "万" + u;
      return trim(v) + u;
    }
    var s;
    if (a >= 1e9) s = trim(v / 1e9) + " billion";
    else if (a >= 1e6) s = trim(v / 1e6) + " million";
    else s = Number(v.toFixed(2)).toLocaleString("en-GB");
    return u ? s + (u === "%" ? "%" : " " + u) : s;
  }
  function numCell(v, unit) {
    if (v === null || v === undefined) return h("td", { class: "num", text: "—" });
    return h("td", { class: "num", title: t("exact") + ": " + exact(v, unit), text: short(v, unit) });
  }
  function flagMark(obs) {
    if (!obs || !obs.qualityFlags || !obs.qualityFlags.length) return null;
    return h("span", { class: "flag", title: t("flagged") + ": " + obs.qualityFlags.map(function (f) { return f.message; }).join("; "), text: "⚑" });
  }
  function setStatus(text, isError) {
    var s = el("status");
    s.textContent = text || "";
    s.className = isError ? "error" : "";
  }

  // ------------------------------------------------------------------ provenance
  function showProvenance(p, quiet) {
    lastShown = p;
    var box = el("provenance");
    box.innerHTML = "";
    if (!p || !p.observation) { box.className = ""; return; }
    var o = p.observation;
    var quote = h("blockquote", {});
    var i = o.quote.indexOf(o.valueText);
    if (i >= 0) {
      quote.appendChild(document.createTextNode(o.quote.slice(0, i)));
      quote.appendChild(h("mark", { text: o.valueText }));
      quote.appendChild(document.createTextNode(o.quote.slice(i + o.valueText.length)));
    } else quote.textContent = o.quote;
    var src = o.source;
    box.appendChild(h("div", {}, [
      h("strong", { text: name(p.district) + " · " + (p.year || "") + " · " }),
      h("span", { title: t("exact") + ": " + exact(p.value, p.unit), text: short(p.value, p.unit) }),
      " (" + o.valueText + o.reportedUnit + ")",
      flagMark(o)
    ]));
    box.appendChild(h("div", { class: "prov-quote" }, [h("span", { text: t("quote") + "：" }), quote]));
    box.appendChild(h("div", {}, [t("report") + "：" + (state.lang === "zh" ? src.titleZh : src.titleEn)]));
    box.appendChild(h("div", {}, [t("docNo") + "：" + (src.documentNumber || "—") + (src.date ? "　" + t("date") + "：" + src.date : "")]));
    if (o.qualityFlags && o.qualityFlags.length) {
      box.appendChild(h("div", { class: "flag" }, [t("flagged") + "：" + o.qualityFlags.map(function (f) { return f.message; }).join("；")]));
    }
    if (o.note) box.appendChild(h("div", { text: o.note }));
    box.appendChild(h("a", { href: "#", id: "open-source", text: t("openSource"), onclick: function (ev) {
      ev.preventDefault();
      writeHash({ view: "source", source: src.code, obs: o.key });
    } }));
    box.className = "open";
    // Opened by the reader: bring it into view (a redraw that restores it does not scroll).
    if (!quiet) box.scrollIntoView({ block: "nearest" });
  }
  // ECharts renders tooltips as HTML: every text from the API or the map goes through esc.
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function tooltipHtml(p) {
    if (!p || !p.observation) return "";
    var o = p.observation;
    return "<b>" + esc(name(p.district)) + "</b> " + esc(short(p.value, p.unit)) +
      " <small>(" + esc(t("exact")) + " " + esc(exact(p.value, p.unit)) + ", " + p.year + ")</small><br>" +
      "<div style=\"max-width:360px;white-space:normal\">" + esc(o.quote) + "</div>" +
      "<small>" + esc(state.lang === "zh" ? o.source.titleZh : o.source.titleEn) + " " + esc(o.source.documentNumber || "") + "</small>" +
      (o.qualityFlags && o.qualityFlags.length ? "<br><b style=\"color:#b45309\">⚑ " + esc(o.qualityFlags[0].message) + "</b>" : "");
  }

  // ------------------------------------------------------------------ charts
  function chart(id) {
    var node = el(id);
    var c = echarts.getInstanceByDom(node);
    if (!c) {
      c = echarts.init(node);
      // The box changes size without a window resize too (a page scrollbar appearing, a
      // panel shown): follow it, or the canvas overflows its box.
      if (window.ResizeObserver) new ResizeObserver(function () { c.resize(); }).observe(node);
    }
    charts[id] = c;
    return c;
  }
  function loadMap() {
    if (!mapReady) {
      mapReady = Promise.all([
        fetch("/assets/vendor/echarts-4.9.0/chongqing.json").then(function (r) { return r.json(); }),
        fetch("/assets/app/map-codes.json").then(function (r) { return r.json(); })
      ]).then(function (res) {
        var geo = res[0], recode = res[1].renamed;
        // Regions are named by division code (current codes, see map-codes.json), so data
        // joins on codes and names come from the API in either language.
        geo.features.forEach(function (f) {
          var id = String(f.id);
          f.properties.name = recode[id] ? recode[id].code : id;
        });
        echarts.registerMap("chongqing-codes", geo);
        return geo.features.map(function (f) { return f.properties.name; });
      });
    }
    return mapReady;
  }

  // ------------------------------------------------------------------ picker
  function coverageOf(ind) {
    var ds = ind.coverage.filter(function (c) { return c.district.code !== "500000"; });
    var years = [];
    ind.coverage.forEach(function (c) { c.years.forEach(function (y) { if (years.indexOf(y) < 0) years.push(y); }); });
    years.sort();
    return { districts: ds.length, years: years };
  }
  function renderPicker() {
    var cat = el("category");
    cat.innerHTML = "";
    cat.appendChild(h("option", { value: "", text: t("allCategories") }));
    var cats = [];
    catalog.indicators.forEach(function (i) { if (cats.indexOf(i.category) < 0) cats.push(i.category); });
    cats.sort().forEach(function (c) { cat.appendChild(h("option", { value: c, text: t("categories")[c] || c })); });
    cat.value = state.cat;
    el("search").value = state.q;
    var q = state.q.toLowerCase();
    var list = el("indicator-list");
    list.innerHTML = "";
    var shown = catalog.indicators.filter(function (i) {
      return (!state.cat || i.category === state.cat) &&
        (!q || i.code.toLowerCase().indexOf(q) >= 0 || i.nameZh.indexOf(state.q) >= 0 || i.nameEn.toLowerCase().indexOf(q) >= 0);
    });
    if (!shown.length) list.appendChild(h("li", { text: t("noIndicators") }));
    shown.forEach(function (i) {
      var cov = i.cov;
      var span = cov.years.length ? (cov.years[0] === cov.years[cov.years.length - 1] ? String(cov.years[0]) : cov.years[0] + "–" + cov.years[cov.years.length - 1]) : "";
      var li = h("li", {
        role: "option", tabindex: "-1", "data-code": i.code, "aria-selected": String(i.code === state.indicator),
        onclick: function () { selectIndicator(i.code); },
        onkeydown: function (ev) {
          if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); selectIndicator(i.code); }
          if (ev.key === "ArrowDown" && li.nextSibling) { ev.preventDefault(); li.nextSibling.focus(); }
          if (ev.key === "ArrowUp" && li.previousSibling) { ev.preventDefault(); li.previousSibling.focus(); }
        }
      }, [name(i), h("span", { class: "cov", text: t("covShort")(cov.districts, span) })]);
      list.appendChild(li);
    });
  }
  function selectIndicator(code) {
    var ind = catalog.byCode[code];
    var years = ind ? ind.cov.years : [];
    writeHash({ indicator: code, year: years.length ? years[years.length - 1] : null, from: years.length > 1 ? years[0] : null });
  }

  // ------------------------------------------------------------------ views
  function fillYears(select, years, value) {
    select.innerHTML = "";
    years.forEach(function (y) { select.appendChild(h("option", { value: String(y), text: String(y) })); });
    if (value !== null) select.value = String(value);
  }
  function renderHead(ind) {
    el("indicator-title").textContent = ind ? name(ind) : t("pickIndicator");
    el("indicator-meta").textContent = ind ? (state.lang === "zh" ? "" : "") + (t("categories")[ind.category] || ind.category) +
      " · " + t("better")[ind.direction.toLowerCase()] + (unitLabel(ind.unit) ? " · " + unitLabel(ind.unit) : "") + " · " + definition(ind) : "";
    Array.prototype.forEach.call(document.querySelectorAll("[role=tab]"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-view") === state.view));
    });
    var years = ind ? ind.cov.years : [];
    var allYears = [];
    for (var y = (years[0] || 2020); y <= (years[years.length - 1] || 2025); y++) allYears.push(y);
    fillYears(el("year"), allYears, state.year);
    fillYears(el("from"), allYears, state.from);
    el("year-box").style.display = state.view === "series" || state.view === "source" ? "none" : "";
    el("from-box").style.display = state.view === "change" ? "" : "none";
    var dsel = el("district");
    if (!dsel.options.length || dsel.getAttribute("data-lang") !== state.lang) {
      dsel.innerHTML = "";
      catalog.districts.forEach(function (d) { dsel.appendChild(h("option", { value: d.code, text: name(d) })); });
      dsel.setAttribute("data-lang", state.lang);
    }
    dsel.value = state.district || (ind && ind.cov.first) || "";
    el("district-box").style.display = state.view === "series" ? "" : "none";
    // The export has no "latest on or before": the ranking and compare views export every year.
    var csv = "/export/observations.csv?indicator=" + encodeURIComponent(state.indicator || "");
    if (state.view === "series" && state.district) csv += "&district=" + state.district;
    if (state.view === "change" && state.from && state.year) csv += "&year=" + state.from + "," + state.year;
    el("csv").setAttribute("href", csv);
    Array.prototype.forEach.call(document.querySelectorAll(".panel"), function (p) {
      p.className = "panel" + (p.id === state.view + "-view" ? " active" : "");
    });
  }

  function renderRanking(ind, seq) {
    var q = "query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, latestOnOrBefore: true) { " +
      "order rankedCount districtCount coverage entries { rank value year district { code nameZh nameEn } " + OBS + " } " +
      "missing { code nameZh nameEn } } }";
    return Promise.all([gql(q, { i: ind.code, y: state.year }), loadMap()]).then(function (res) {
      if (seq !== requestSeq) return;
      var r = res[0].ranking, regions = res[1];
      var entries = r.entries.map(function (e) { return Object.assign({ unit: ind.unit }, e); });
      el("coverage").textContent = t("coverage")(r.rankedCount, r.districtCount);
      el("missing").textContent = r.missing.length ? t("missing")(r.missing.length) + r.missing.map(name).join("、") : "";
      setStatus(entries.length ? "" : t("noValues"));
      // Table: the accessible twin of the chart, one focusable row per ranked district.
      var table = el("ranking-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("rank") }), h("th", { text: t("districtCol") }), h("th", { text: t("value") }), h("th", { text: t("yearCol") })]));
      var ranks = entries.map(function (e) { return e.rank; });
      entries.forEach(function (e) {
        var tied = ranks.filter(function (x) { return x === e.rank; }).length > 1;
        var row = h("tr", {
          tabindex: "0", "data-district": e.district.code,
          onclick: function () { showProvenance(e); },
          onkeydown: function (ev) {
            if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showProvenance(e); }
            if (ev.key === "ArrowDown" && row.nextSibling) { ev.preventDefault(); row.nextSibling.focus(); }
            if (ev.key === "ArrowUp" && row.previousSibling && row.previousSibling.hasAttribute("tabindex")) { ev.preventDefault(); row.previousSibling.focus(); }
          }
        }, [
          h("td", { text: (tied ? t("tie") + " " : "") + e.rank }),
          h("td", {}, [name(e.district), flagMark(e.observation)]),
          numCell(e.value, ind.unit),
          h("td", { text: String(e.year) + (e.year !== state.year ? " *" : "") })
        ]);
        table.appendChild(row);
      });
      // Bar chart, rank 1 at the top.
      var labels = entries.map(function (e) {
        var tied = ranks.filter(function (x) { return x === e.rank; }).length > 1;
        return (tied ? "=" : "") + e.rank + ". " + name(e.district) + (e.year !== state.year ? t("yearUsed")(e.year) : "");
      });
      var bar = chart("chart-ranking");
      bar.clear();
      bar.setOption({
        animation: false,
        grid: { left: 8, right: 70, top: 10, bottom: 10, containLabel: true },
        tooltip: { trigger: "item", confine: true, formatter: function (p) { return tooltipHtml(entries[p.dataIndex]); } },
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return short(v, ind.unit); } } },
        yAxis: { type: "category", inverse: true, data: labels },
        series: [{ type: "bar", barMaxWidth: 28, data: entries.map(function (e) { return e.value; }), itemStyle: { color: "#2f6fab" },
          label: { show: true, position: "right", formatter: function (p) { return short(p.value, ind.unit); } } }]
      });
      bar.off("click");
      bar.on("click", function (p) { showProvenance(entries[p.dataIndex]); });
      // Map: every region, coloured by value; grey where there is none.
      var byCode = {};
      entries.forEach(function (e) { byCode[e.district.code] = e; });
      var values = entries.map(function (e) { return e.value; });
      var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
      var map = chart("chart-map");
      map.clear();
      map.setOption({
        animation: false,
        tooltip: { trigger: "item", confine: true, formatter: function (p) {
          var e = byCode[p.name];
          var d = catalog.districtByCode[p.name];
          return e ? tooltipHtml(e) : esc(d ? name(d) : p.name) + "：" + esc(t("noData"));
        } },
        visualMap: values.length ? { min: min, max: max === min ? min + 1 : max, calculable: false, left: 0, bottom: 0,
          inRange: { color: ["#c6dbef", "#08306b"] }, text: [short(max, ind.unit), short(min, ind.unit)],
          formatter: function (v) { return short(v, ind.unit); } } : undefined,
        series: [{ type: "map", map: "chongqing-codes", roam: false, itemStyle: { areaColor: "#d3d3d3", borderColor: "#fff" },
          emphasis: { label: { show: false } },
          data: regions.map(function (code) { var e = byCode[code]; return { name: code, value: e ? e.value : null }; }) }]
      });
      map.off("click");
      map.on("click", function (p) { if (byCode[p.name]) showProvenance(byCode[p.name]); });
      var shown = lastShown && lastShown.observation && byCode[lastShown.district.code];
      showProvenance(shown && shown.observation.key === lastShown.observation.key ? shown : null, true);
    });
  }

  function renderChange(ind, seq) {
    var from = state.from, to = state.year;
    var q = "query($i: String!, $f: Int!, $t: Int!) { change(indicator: $i, from: $f, to: $t) { " +
      "district { code nameZh nameEn } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }";
    return gql(q, { i: ind.code, f: from, t: to }).then(function (d) {
      if (seq !== requestSeq) return;
      var rows = d.change;
      setStatus(rows.length ? "" : t("noChange"));
      var table = el("change-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") }), h("th", { text: t("fromV") + " " + from }), h("th", { text: t("toV") + " " + to }), h("th", { text: t("absChange") }), h("th", { text: t("relChange") })]));
      rows.forEach(function (r) {
        var abs = r.absoluteChange === null ? h("td", { class: "num", text: "—" }) :
          r.absoluteUnit === "percentage_point" ? h("td", { class: "num", text: (r.absoluteChange > 0 ? "+" : "") + trim(r.absoluteChange) + " " + t("pp") }) : numCell(r.absoluteChange, r.absoluteUnit);
        var rel = r.relativeChange === null ? h("td", { text: t("gap")[r.relativeChangeGap] || "—" }) :
          h("td", { class: "num", text: (r.relativeChange > 0 ? "+" : "") + trim(r.relativeChange) + "%" });
        table.appendChild(h("tr", {}, [h("td", { text: name(r.district) }), numCell(r.fromValue, ind.unit), numCell(r.toValue, ind.unit), abs, rel]));
      });
      var c = chart("chart-change");
      c.clear();
      c.setOption({
        animation: false, legend: { data: [String(from), String(to)] }, tooltip: { trigger: "axis" },
        grid: { containLabel: true, left: 8, right: 8 },
        xAxis: { type: "category", data: rows.map(function (r) { return name(r.district); }) },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return short(v, ind.unit); } } },
        series: [
          { name: String(from), type: "bar", data: rows.map(function (r) { return r.fromValue; }) },
          { name: String(to), type: "bar", data: rows.map(function (r) { return r.toValue; }) }
        ]
      });
    });
  }

  function renderSeries(ind, seq) {
    var district = state.district || ind.cov.first;
    var q = "query($d: String!, $i: String!) { a: timeSeries(district: $d, indicator: $i) { points { year value " + OBS + " } } " +
      "t: timeSeries(district: $d, indicator: $i, kind: TARGET) { points { year value " + OBS + " } } " +
      "district(code: $d) { code nameZh nameEn } }";
    return gql(q, { d: district, i: ind.code }).then(function (d) {
      if (seq !== requestSeq) return;
      var actual = d.a.points, target = d.t.points;
      var wrap = function (p) { return Object.assign({ district: d.district, unit: ind.unit }, p); };
      setStatus(actual.length || target.length ? "" : t("noSeries"));
      var table = el("series-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("yearCol") }), h("th", { text: t("actual") }), h("th", { text: t("target") })]));
      var years = [];
      actual.concat(target).forEach(function (p) { if (years.indexOf(p.year) < 0) years.push(p.year); });
      years.sort();
      years.forEach(function (y) {
        var a = actual.filter(function (p) { return p.year === y; })[0];
        var g = target.filter(function (p) { return p.year === y; })[0];
        var cell = function (p) {
          if (!p) return h("td", { class: "num", text: "—" });
          var td = numCell(p.value, ind.unit);
          td.setAttribute("tabindex", "0");
          td.addEventListener("click", function () { showProvenance(wrap(p)); });
          td.addEventListener("keydown", function (ev) { if (ev.key === "Enter") showProvenance(wrap(p)); });
          return td;
        };
        table.appendChild(h("tr", {}, [h("td", { text: String(y) }), cell(a), cell(g)]));
      });
      var c = chart("chart-series");
      c.clear();
      c.setOption({
        animation: false, legend: { data: [t("actual"), t("target")] },
        tooltip: { trigger: "item", confine: true, formatter: function (p) { return tooltipHtml(wrap((p.seriesIndex === 0 ? actual : target)[p.dataIndex])); } },
        grid: { containLabel: true, left: 8, right: 8 },
        xAxis: { type: "value", minInterval: 1, min: years[0], max: years[years.length - 1], axisLabel: { formatter: String } },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return short(v, ind.unit); } } },
        series: [
          { name: t("actual"), type: "line", data: actual.map(function (p) { return [p.year, p.value]; }) },
          { name: t("target"), type: "scatter", symbol: "diamond", symbolSize: 14, data: target.map(function (p) { return [p.year, p.value]; }) }
        ]
      });
      c.off("click");
      c.on("click", function (p) { showProvenance(wrap((p.seriesIndex === 0 ? actual : target)[p.dataIndex])); });
    });
  }

  function renderCompare(ind, seq) {
    var inds = catalog.indicators.filter(function (i) { return i.category === ind.category && i.cov.districts > 0; }).slice(0, 12);
    var districts = catalog.districts.filter(function (d) { return d.level !== "municipality"; });
    var q = "query($d: [String!]!, $i: [String!]!, $y: Int!) { compare(districts: $d, indicators: $i, year: $y, latestOnOrBefore: true) { " +
      "rows { district { code nameZh nameEn } cells { indicator value year " + OBS + " } } } }";
    return gql(q, { d: districts.map(function (x) { return x.code; }), i: inds.map(function (x) { return x.code; }), y: state.year }).then(function (d) {
      if (seq !== requestSeq) return;
      var rows = d.compare.rows.filter(function (r) { return r.cells.some(function (c) { return c.value !== null; }); });
      setStatus(rows.length ? t("compareNote") : t("noValues"));
      var table = el("compare-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") })].concat(inds.map(function (i) { return h("th", { text: name(i) }); }))));
      var ranges = inds.map(function (i, k) {
        var vs = rows.map(function (r) { return r.cells[k].value; }).filter(function (v) { return v !== null; });
        return [Math.min.apply(null, vs), Math.max.apply(null, vs)];
      });
      rows.forEach(function (r) {
        table.appendChild(h("tr", {}, [h("td", { text: name(r.district) })].concat(r.cells.map(function (c, k) {
          if (c.value === null) return h("td", { class: "num", style: "background:#eee", text: "—" });
          var unit = inds[k].unit;
          var span = ranges[k][1] - ranges[k][0];
          var share = span > 0 ? (c.value - ranges[k][0]) / span : 0.5;
          var td = numCell(c.value, unit);
          td.setAttribute("style", "background:rgba(47,111,171," + (0.15 + 0.6 * share).toFixed(2) + ")");
          td.setAttribute("tabindex", "0");
          var p = Object.assign({ district: r.district, unit: unit }, c);
          td.addEventListener("click", function () { showProvenance(p); });
          td.addEventListener("keydown", function (ev) { if (ev.key === "Enter") showProvenance(p); });
          if (c.year !== state.year) td.textContent += " (" + c.year + ")";
          return td;
        }))));
      });
    });
  }

  function renderSource(seq) {
    if (!state.source) { setStatus(t("noSource")); el("source-head").innerHTML = ""; el("source-text").textContent = ""; return Promise.resolve(); }
    var q = "query($c: String!) { source(code: $c) { code titleZh titleEn documentNumber date issuer text " +
      "observations { key quoteStart quoteEnd valueText reportedUnit indicator { nameZh nameEn } } } }";
    return gql(q, { c: state.source }).then(function (d) {
      if (seq !== requestSeq) return;
      var s = d.source;
      setStatus("");
      el("source-head").innerHTML = "";
      el("source-head").appendChild(h("h3", { text: state.lang === "zh" ? s.titleZh : s.titleEn }));
      el("source-head").appendChild(h("p", { text: s.issuer + " · " + (s.documentNumber || "—") + " · " + (s.date || "") }));
      // Offsets count characters (code points), not UTF-16 units.
      var chars = Array.from(s.text);
      var marks = s.observations.slice().sort(function (a, b) { return a.quoteStart - b.quoteStart; });
      var pre = el("source-text");
      pre.innerHTML = "";
      var pos = 0, target = null;
      marks.forEach(function (o) {
        if (o.quoteStart < pos) return; // overlapping quotes: the first one is marked
        pre.appendChild(document.createTextNode(chars.slice(pos, o.quoteStart).join("")));
        var tag = o.key === state.obs ? "mark" : "span";
        var span = h(tag, { class: "quote", id: "q-" + o.key, title: name(o.indicator) + ": " + o.valueText + o.reportedUnit },
          [chars.slice(o.quoteStart, o.quoteEnd).join("")]);
        if (tag === "mark") target = span;
        pre.appendChild(span);
        pos = o.quoteEnd;
      });
      pre.appendChild(document.createTextNode(chars.slice(pos).join("")));
      // Scroll the text box only, not the page: the highlighted quote in view.
      if (target) pre.scrollTop = Math.max(0, target.offsetTop - pre.clientHeight / 3);
    });
  }

  // ------------------------------------------------------------------ main loop
  function applyWords() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("title") + " · edustats";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (e) { e.textContent = t(e.getAttribute("data-i18n")); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (e) { e.placeholder = t(e.getAttribute("data-i18n-placeholder")); });
    el("lang-toggle").textContent = t("langButton");
  }

  function render() {
    document.body.removeAttribute("data-ready");
    state = readHash();
    applyWords();
    if (!catalog) return;
    renderPicker();
    var ind = catalog.byCode[state.indicator];
    renderHead(ind);
    var seq = ++requestSeq;
    if (state.view === "source") { showProvenance(null); return wrapErrors(renderSource(seq), seq); }
    if (!ind) { setStatus(state.indicator ? t("noIndicators") : t("pickIndicator")); return; }
    if (state.year === null) state.year = ind.cov.years[ind.cov.years.length - 1] || new Date().getFullYear();
    setStatus(t("loading"));
    var work = state.view === "change" ? renderChange(ind, seq)
      : state.view === "series" ? renderSeries(ind, seq)
        : state.view === "compare" ? renderCompare(ind, seq)
          : renderRanking(ind, seq);
    wrapErrors(work, seq);
  }
  function wrapErrors(p, seq) {
    return p.then(function () {
      if (seq !== requestSeq) return;
      // Time from navigation start to the first drawn view, read by the browser test.
      if (!document.body.hasAttribute("data-first-view-ms")) document.body.setAttribute("data-first-view-ms", String(Math.round(performance.now())));
      document.body.setAttribute("data-ready", state.view);
    }, function (e) {
      if (seq === requestSeq) { setStatus(t("loadError") + e.message, true); document.body.setAttribute("data-ready", "error"); }
    });
  }

  function start() {
    state = readHash();
    applyWords();
    el("lang-toggle").addEventListener("click", function () { writeHash({ lang: state.lang === "zh" ? "en" : "zh" }); });
    el("search").addEventListener("input", function (ev) { state.q = ev.target.value; renderPicker(); });
    el("search").addEventListener("change", function (ev) { writeHash({ q: ev.target.value }); });
    el("category").addEventListener("change", function (ev) { writeHash({ cat: ev.target.value }); });
    el("year").addEventListener("change", function (ev) { writeHash({ year: parseInt(ev.target.value, 10) }); });
    el("from").addEventListener("change", function (ev) { writeHash({ from: parseInt(ev.target.value, 10) }); });
    el("district").addEventListener("change", function (ev) { writeHash({ district: ev.target.value }); });
    el("indicator-list").addEventListener("keydown", function (ev) {
      if (ev.target === el("indicator-list") && (ev.key === "ArrowDown" || ev.key === "Enter")) {
        var first = el("indicator-list").querySelector("[aria-selected=true]") || el("indicator-list").firstChild;
        if (first && first.focus) { ev.preventDefault(); first.focus(); }
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[role=tab]"), function (b) {
      b.addEventListener("click", function () {
        var v = b.getAttribute("data-view");
        var extra = { view: v };
        if (v === "source" && lastShown && lastShown.observation) { extra.source = lastShown.observation.source.code; extra.obs = lastShown.observation.key; }
        writeHash(extra);
      });
    });
    el("png").addEventListener("click", function () {
      var id = { ranking: "chart-ranking", change: "chart-change", series: "chart-series" }[state.view];
      var c = id && charts[id];
      if (!c) return;
      var a = h("a", { href: c.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" }), download: "edustats-" + state.view + "-" + state.indicator + ".png" });
      document.body.appendChild(a); a.click(); a.remove();
    });
    window.addEventListener("hashchange", render);
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
    if (!window.echarts) { setStatus(t("loadError") + "echarts.min.js", true); return; }
    setStatus(t("loading"));
    gql("{ indicators { code nameZh nameEn unit category direction definition definitionZh coverage { district { code } years } } " +
      "districts { code nameZh nameEn level } }").then(function (d) {
      catalog = { indicators: d.indicators, districts: d.districts, byCode: {}, districtByCode: {} };
      d.indicators.forEach(function (i) {
        i.cov = coverageOf(i);
        var firstD = i.coverage.filter(function (c) { return c.district.code !== "500000"; })[0];
        i.cov.first = firstD ? firstD.district.code : "";
        catalog.byCode[i.code] = i;
      });
      // Most covered first: the indicators a newcomer can compare across districts.
      catalog.indicators.sort(function (a, b) { return b.cov.districts - a.cov.districts || a.code.localeCompare(b.code); });
      d.districts.forEach(function (x) { catalog.districtByCode[x.code] = x; });
      setStatus("");
      if (!state.indicator) { selectIndicator(catalog.indicators[0].code); return; }
      render();
    }, function (e) {
      setStatus(t("loadError") + e.message, true);
      document.body.setAttribute("data-ready", "error");
    });
  }

  start();
})();
