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
      noSource: "选择一个数值（点击排名中的条目）以查看其原文。", noChange: "无可比较数据：所选两年没有同一区县的数值。",
      kind: "口径", kinds: { actual: "实际值", target: "目标值", change: "报告所列变化量", growth: "报告所列增长率", rank: "报告所列名次" },
      breakdown: "分组", total: "合计", noteLabel: "整理说明", zoomCenter: "放大主城区", zoomAll: "显示全市", reports: "报告", reportsTitle: "已载入的报告",
      loaded: function (n, m, all) { return "已载入 " + n + " 份报告，涉及 " + m + " / " + all + " 个区县。"; },
      reportsLink: "查看报告列表", kindCol: "类型",
      oneYearOnly: function (n) { return "只有一年数据、未列入比较的区县（" + n + "）："; },
      changeActualOnly: "变化按实际值计算。", noIndicatorData: function (n) { return "另有 " + n + " 个指标尚无区县数据，未列出。"; },
      sourceLine: function (n, m) { return "来源：各区县教育督导报告（edustats）· 已排名 " + n + " / " + m + " 个区县"; },
      sourceShort: "来源：各区县教育督导报告（edustats）",
      csvHead: { rank: "名次", district: "区县", code: "区县代码", value: "数值", unit: "单位", year: "年份", quote: "原文", report: "报告", docNo: "文号", kind: "口径", breakdown: "分组", from: "起始值", to: "终止值", abs: "变化量", rel: "相对变化（%）", actual: "实际值", target: "目标值" },
      compareNote: "所选年份（及之前最近一年）各区县在本类别指标上的数值；颜色按列深浅。",
      scatter: "散点", yIndicator: "纵轴指标", addDistrict: "加入区县", addPick: "— 选择区县 —", remove: "移除",
      svg: "下载 SVG", share: "分享与嵌入", shareLink: "链接", embedCode: "嵌入代码（iframe）", copy: "复制", copied: "已复制。", copyFailed: "无法自动复制，请手动选择并复制。",
      embedOpen: "在 edustats 中查看", trendNote: function (n) { return n + " 个区县的逐年数值（每条线一个区县）；点击数据点查看原文。"; },
      tooManyDistricts: function (n) { return "最多同时显示 " + n + " 个区县。"; },
      scatterNote: function (n) { return n + " 个区县两项指标均有数据（所选年份或之前最近一年）；点击数据点查看两项数值的原文。"; },
      scatterOneSide: function (n) { return "只有一项指标有数据、未画出的区县（" + n + "）："; },
      noScatter: "无可比较数据：没有区县同时有这两项指标的数值。",
      // An error said in Chinese by its code; the server's (English) detail stays in the
      // status line's tooltip. Codes and names it quotes are kept.
      errors: { NOT_FOUND: "未找到", BAD_USER_INPUT: "输入有误", GRAPHQL_VALIDATION_FAILED: "查询无效", GRAPHQL_PARSE_FAILED: "查询无法解析",
        TIMEOUT: "服务器超时，请稍后重试", RATE_LIMITED: "请求过于频繁，请稍后重试", UNAVAILABLE: "数据库暂时不可用，请稍后重试",
        INTERNAL: "服务器内部错误", PAYLOAD_TOO_LARGE: "请求过大", BAD_REQUEST: "请求有误", network: "无法连接服务器", chartLib: "图表组件加载失败" },
      otherError: "请求失败",
      units: { yuan: "元", person: "人", person_time: "人次", percent: "%", count: "个", square_meter: "平方米", mu: "亩", hour: "小时", minute: "分钟", day: "天", year: "年", ratio: "", times: "倍", score: "分", rank: "位", percentage_point: "个百分点" },
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
      noSource: "Pick a value (click an entry of the ranking) to see its source text.", noChange: "No comparable data: no district has a value in both years.",
      kind: "Kind", kinds: { actual: "Actual", target: "Target", change: "Reported change", growth: "Reported growth", rank: "Reported rank" },
      breakdown: "Breakdown", total: "Total", noteLabel: "Curator's note", zoomCenter: "Zoom to the central districts", zoomAll: "Whole municipality", reports: "Reports", reportsTitle: "Reports loaded",
      loaded: function (n, m, all) { return n + (n === 1 ? " report" : " reports") + " loaded, covering " + m + " of " + all + " districts."; },
      reportsLink: "List of reports", kindCol: "Type",
      oneYearOnly: function (n) { return "Districts with a value in one year only, not compared (" + n + "): "; },
      changeActualOnly: "Changes are computed from actual values.", noIndicatorData: function (n) { return n + " more indicators have no district data yet and are not listed."; },
      sourceLine: function (n, m) { return "Source: district education supervision reports (edustats) · " + n + " of " + m + " districts ranked"; },
      sourceShort: "Source: district education supervision reports (edustats)",
      csvHead: { rank: "Rank", district: "District", code: "District code", value: "Value", unit: "Unit", year: "Year", quote: "Quote", report: "Report", docNo: "Document no.", kind: "Kind", breakdown: "Breakdown", from: "From", to: "To", abs: "Change", rel: "Relative change (%)", actual: "Actual", target: "Target" },
      compareNote: "Values of this category's indicators in the chosen year (or the latest before it); colour scaled per column.",
      scatter: "Scatter", yIndicator: "Vertical axis", addDistrict: "Add a district", addPick: "— choose a district —", remove: "Remove",
      svg: "Download SVG", share: "Share and embed", shareLink: "Link", embedCode: "Embed code (iframe)", copy: "Copy", copied: "Copied.", copyFailed: "Could not copy automatically; select the text and copy it.",
      embedOpen: "Open in edustats", trendNote: function (n) { return "Yearly values of " + n + " districts (one line each); click a point for its source text."; },
      tooManyDistricts: function (n) { return "At most " + n + " districts at once."; },
      scatterNote: function (n) { return n + (n === 1 ? " district has" : " districts have") + " values of both indicators (in the chosen year or the latest before it); click a point for both sources."; },
      scatterOneSide: function (n) { return "Districts with a value of only one indicator, not drawn (" + n + "): "; },
      noScatter: "No comparable data: no district has values of both indicators.",
      units: { yuan: "yuan", person: "people", person_time: "person-times", percent: "%", count: "", square_meter: "m²", mu: "mu", hour: "h", minute: "min", day: "days", year: "years", ratio: "", times: "×", score: "points", rank: "", percentage_point: "pp" },
      categories: { funding: "Funding", enrolment: "Enrolment", schools: "Schools", teachers: "Teachers", facilities: "Facilities", digital: "Digital education", equity: "Equity", quality: "Quality", health: "Health", safety: "Safety", governance: "Governance", supervision: "Supervision" }
    }
  };

  var state = {};          // parsed from the hash
  var catalog = null;      // { indicators, districts, byCode, districtByCode }
  var charts = {};         // ECharts instances by element id
  var lastShown = null;    // provenance of the value last shown (for the source view)
  var mapReady = null;     // promise of the registered map
  var requestSeq = 0;      // only the latest redraw may write the page
  var sources = [];        // the reports loaded (for the "what is loaded" line and the list)
  var csvRows = null;
  var lastRanking = null;   // ranked / of, for the image's source line
  // Embedded in another site's page (/embed): the chart and its source line only.
  var embedded = location.pathname === "/embed";
  // The series view draws at most this many districts: more lines cannot be told apart.
  var MAX_TREND = 8;

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
      kind: p.get("kind") || "",
      bd: p.get("bd") || "",
      lang: p.get("lang") === "en" ? "en" : "zh",
      q: p.get("q") || "",
      cat: p.get("cat") || "",
      y: p.get("y") || ""
    };
  }
  function writeHash(changes) {
    var next = Object.assign({}, state, changes);
    var p = new URLSearchParams();
    ["view", "indicator", "kind", "bd", "year", "from", "district", "y", "source", "obs", "lang", "q", "cat"].forEach(function (k) {
      if (next[k] !== null && next[k] !== "" && next[k] !== undefined) p.set(k, String(next[k]));
    });
    var hash = "#" + p.toString();
    if (hash !== location.hash) location.hash = hash; else render();
  }

  // ------------------------------------------------------------------ API
  // The chart library (209 KB gzipped, most of the page) is asked for once the catalogue is
  // in (or when a view needs it first), so on a slow link it does not share the bandwidth
  // with the catalogue; until it is there the ranking draws its bars as plain SVG (quickBars).
  var ECHARTS = "/assets/vendor/echarts-5.6.0/echarts.dashboard.min.js";
  var chartLibLoad = null;
  function chartLib() {
    if (!chartLibLoad) {
      chartLibLoad = new Promise(function (resolve, reject) {
        var done = function () {
          if (window.echarts) { mark("charts"); resolve(window.echarts); }
          else { var e = new Error("echarts.dashboard.min.js"); e.code = "chartLib"; reject(e); }
        };
        if (window.echarts) { done(); return; }
        var script = document.createElement("script");
        script.src = ECHARTS;
        script.onload = done;
        script.onerror = done;
        document.head.appendChild(script);
      });
    }
    return chartLibLoad;
  }
  // A performance mark (the browser test prints them: where the first view's time goes).
  function mark(what) { if (window.performance && performance.mark) performance.mark("edustats:" + what); }
  // p's value once the chart library is there too.
  function drawable(p) { return Promise.all([p, chartLib()]).then(function (r) { return r[0]; }); }
  function gql(query, variables) {
    return fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: query, variables: variables || {} })
    }).then(answer, function (e) { var x = new Error(e.message); x.code = "network"; throw x; });
  }
  // A GraphQL response's data, or an error with the first error's message and code.
  function answer(r) {
    return r.json().catch(function () { throw new Error("HTTP " + r.status); }).then(function (body) {
      if (body.errors && body.errors.length) {
        var e = body.errors[0];
        var code = e.extensions && e.extensions.code;
        var err = new Error(e.message + (code ? " (" + code + ")" : ""));
        err.code = code;
        err.detail = e.message;
        throw err;
      }
      return body.data;
    });
  }

  var OBS = "observation { key valueText reportedUnit qualifier quote note noteZh kind " +
    "qualityFlags { code severity message messageZh } source { code titleZh titleEn documentNumber date } }";

  // ------------------------------------------------------------------ formatting
  function name(o) { return o ? (state.lang === "zh" ? o.nameZh : o.nameEn) : ""; }
  // The Chinese view shows the Chinese definition; an indicator confirmed from a draft may have
  // none yet, and then the English one is better than nothing.
  function definition(ind) { return state.lang === "zh" && ind.definitionZh ? ind.definitionZh : ind.definition; }
  function unitLabel(unit) {
    var u = t("units")[unit];
    return u === undefined ? unit : u;
  }
  // The unit as the report printed it. Where the report printed none (四 schools, a
  // coefficient of 0.644), the warehouse records the canonical unit's code: shown in words.
  function printedUnit(u) {
    if (u === "one") return "";
    var w = t("units")[u];
    return w === undefined ? u : (state.lang === "en" && w ? " " + w : w);
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
  // A table cell of a value that opens its provenance (click or Enter); "—" for none.
  function valueCell(p, unit) {
    if (!p) return h("td", { class: "num", text: "—" });
    var td = numCell(p.value, unit);
    td.setAttribute("tabindex", "0");
    td.addEventListener("click", function () { showProvenance(p); });
    td.addEventListener("keydown", function (ev) { if (ev.key === "Enter") showProvenance(p); });
    return td;
  }
  function numCell(v, unit) {
    if (v === null || v === undefined) return h("td", { class: "num", text: "—" });
    return h("td", { class: "num", title: t("exact") + ": " + exact(v, unit), text: short(v, unit) });
  }
  // Curators' notes and data-quality findings in the reader's language: the Chinese view shows
  // the Chinese text where one was written (the English otherwise).
  function flagText(f) { return state.lang === "zh" && f.messageZh ? f.messageZh : f.message; }
  function noteText(o) { return state.lang === "zh" && o.noteZh ? o.noteZh : o.note; }
  function flagMark(obs) {
    if (!obs || !obs.qualityFlags || !obs.qualityFlags.length) return null;
    return h("span", { class: "flag", title: t("flagged") + ": " + obs.qualityFlags.map(flagText).join("; "), text: "⚑" });
  }
  // An error for the status line: in English the server's message; in Chinese a sentence for
  // its code, with the codes or names the message quotes, and the English in the tooltip.
  // What an English error message names, for its Chinese wording: quoted text and code-like
  // words (lower case with - or _ or digits: rongchang-2025-rectification-report, #3).
  function namesIn(message, into) {
    message.replace(/[`"“']([^`"”']{1,80})[`"”']|(#\d+|\b[a-z0-9]+(?:[-_][a-z0-9]+)+\b)/g, function (m, quoted, code) {
      var x = quoted || code;
      if (into.indexOf(x) < 0) into.push(x);
      return m;
    });
  }
  function errorText(e) {
    if (state.lang !== "zh") return t("loadError") + e.message;
    var said = t("errors")[e.code] || t("otherError");
    var named = [];
    namesIn(String(e.detail || e.message), named);
    return t("loadError") + said + (named.length ? "：" + named.join("、") : "") + (e.code && e.code !== "network" && e.code !== "chartLib" ? "（" + e.code + "）" : "");
  }
  function showError(e) {
    setStatus(errorText(e), true);
    el("status").title = state.lang === "zh" ? e.message : "";
    document.body.setAttribute("data-ready", "error");
  }
  function setStatus(text, isError) {
    var s = el("status");
    s.textContent = text || "";
    s.className = isError ? "error" : "";
    s.title = "";
  }

  // ------------------------------------------------------------------ provenance
  // The panel under the chart: where a value comes from. `also` is a second value shown with
  // it (the scatter's other indicator).
  function showProvenance(p, quiet, also) {
    if (p) p.viewKey = viewKey();
    lastShown = p;
    var box = el("provenance");
    box.innerHTML = "";
    if (!p || !p.observation) { box.className = ""; return; }
    provBlock(box, p);
    if (also && also.observation) { box.appendChild(h("hr", {})); provBlock(box, also); }
    box.className = "open";
    // Opened by the reader: bring it into view (a redraw that restores it does not scroll).
    if (!quiet) box.scrollIntoView({ block: "nearest" });
  }
  function provBlock(box, p) {
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
      " (" + o.valueText + printedUnit(o.reportedUnit) + ")",
      flagMark(o)
    ]));
    box.appendChild(h("div", { class: "prov-quote" }, [h("span", { text: t("quote") + "：" }), quote]));
    box.appendChild(h("div", {}, [t("report") + "：" + (state.lang === "zh" ? src.titleZh : src.titleEn)]));
    box.appendChild(h("div", {}, [t("docNo") + "：" + (src.documentNumber || "—") + (src.date ? "　" + t("date") + "：" + src.date : "")]));
    if (o.qualityFlags && o.qualityFlags.length) {
      box.appendChild(h("div", { class: "flag" }, [t("flagged") + "：" + o.qualityFlags.map(flagText).join("；")]));
    }
    if (o.note) box.appendChild(h("div", { class: "note", text: t("noteLabel") + "：" + noteText(o) }));
    box.appendChild(h("a", { href: "#", class: "open-source", text: t("openSource"), onclick: function (ev) {
      ev.preventDefault();
      writeHash({ view: "source", source: src.code, obs: o.key });
    } }));
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
      (o.qualityFlags && o.qualityFlags.length ? "<br><b style=\"color:#b45309\">⚑ " + esc(flagText(o.qualityFlags[0])) + "</b>" : "");
  }

  // ------------------------------------------------------------------ charts
  // A chart's text alternative (its role is img): what it shows, in words; the table beside
  // it has the same figures for screen readers that browse tables.
  function describe(id, text) { el(id).setAttribute("aria-label", text); }
  // The ranking's bars as plain SVG, for the seconds before the chart library has loaded on a
  // slow link: same labels, order and values as the chart that replaces them (chart() clears
  // the box), no interaction (the table beside it has that).
  function quickBars(node, labels, entries, unit) {
    var w = node.clientWidth || 600, ht = node.clientHeight || 400;
    var longest = labels.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
    var left = Math.min(Math.round(w * 0.45), 12 + longest * 12), right = 70, top = 10;
    var row = entries.length ? Math.min(48, (ht - 2 * top) / entries.length) : 0;
    var barH = Math.min(28, row * 0.6);
    var max = entries.reduce(function (m, e) { return Math.max(m, e.value); }, 0) || 1;
    var room = Math.max(0, w - left - right);
    var out = ["<svg xmlns=\"" + SVG_NS + "\" width=\"" + w + "\" height=\"" + ht + "\" font-size=\"12\" font-family=\"sans-serif\">"];
    entries.forEach(function (e, i) {
      var y = top + i * row + (row - barH) / 2, len = Math.max(0, e.value) / max * room;
      out.push("<text x=\"" + (left - 6) + "\" y=\"" + (y + barH / 2 + 4) + "\" text-anchor=\"end\" fill=\"#52606d\">" + esc(labels[i]) + "</text>" +
        "<rect x=\"" + left + "\" y=\"" + y + "\" width=\"" + len.toFixed(1) + "\" height=\"" + barH + "\" fill=\"#2f6fab\"></rect>" +
        "<text x=\"" + (left + len + 5).toFixed(1) + "\" y=\"" + (y + barH / 2 + 4) + "\" fill=\"#1f2933\">" + esc(short(e.value, unit)) + "</text>");
    });
    out.push("<line x1=\"" + left + "\" y1=\"" + top + "\" x2=\"" + left + "\" y2=\"" + (ht - top) + "\" stroke=\"#6e7079\"></line></svg>");
    node.innerHTML = out.join("");
  }
  function chart(id) {
    var node = el(id);
    var c = echarts.getInstanceByDom(node);
    if (!c) {
      node.innerHTML = ""; // the quick bars drawn before the library came
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
        fetch("/assets/app/map-codes.json").then(function (r) { return r.json(); }),
        chartLib()
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
  // ------------------------------------------------------------------ slices
  // An indicator's rankable slices (kind × breakdown) come from the API, counted exactly as the
  // ranking counts, so a slice the picker offers always ranks at least one district.
  function bdKey(members) {
    return members.map(function (m) { return m.dimension + ":" + m.member; }).sort().join(",");
  }
  function prepareSlices(ind) {
    ind.slices = ind.rankable.map(function (s) {
      return { kind: s.kind.toLowerCase(), bd: bdKey(s.breakdown), members: s.breakdown, districts: s.districtCount, years: s.years };
    });
    // The default: the slice most districts have, actual totals first on a tie (the API lists
    // actual values first and totals before breakdowns).
    var best = null;
    ind.slices.forEach(function (s) { if (!best || s.districts > best.districts) best = s; });
    ind.best = best;
    ind.cov = { districts: best ? best.districts : 0, years: best ? best.years.map(function (y) { return y.year; }) : [] };
  }
  // The slice the URL asks for, else the indicator's default.
  function sliceOf(ind) {
    var kind = state.kind || (ind.best && ind.best.kind) || "actual";
    var bd = state.kind || state.bd ? state.bd : (ind.best ? ind.best.bd : "");
    var found = ind.slices.filter(function (s) { return s.kind === kind && s.bd === bd; })[0];
    return found || ind.best;
  }
  function bdLabel(members) {
    return members.length ? members.map(function (m) { return name(m); }).join(" · ") : t("total");
  }
  function bdArg(slice) {
    return slice ? slice.members.map(function (m) { return { dimension: m.dimension, member: m.member }; }) : [];
  }
  function sliceYears(slice) { return slice ? slice.years.map(function (y) { return y.year; }) : []; }
  // What the reader is looking at: the provenance panel belongs to one indicator and slice.
  function viewKey() { return [state.indicator, state.kind, state.bd].join("|"); }
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
      return i.best && (!state.cat || i.category === state.cat) &&
        (!q || i.code.toLowerCase().indexOf(q) >= 0 || i.nameZh.indexOf(state.q) >= 0 || i.nameEn.toLowerCase().indexOf(q) >= 0);
    });
    if (!shown.length) list.appendChild(h("li", { text: t("noIndicators") }));
    var empty = catalog.indicators.filter(function (i) { return !i.best; }).length;
    el("picker-note").textContent = empty ? t("noIndicatorData")(empty) : "";
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
  // A new indicator opens on its default slice at its latest year; the change view then picks
  // the year before (see renderChange).
  function selectIndicator(code) {
    var ind = catalog.byCode[code];
    var years = ind ? ind.cov.years : [];
    writeHash({ indicator: code, kind: "", bd: "", year: years.length ? years[years.length - 1] : null, from: null });
  }

  // ------------------------------------------------------------------ views
  function fillYears(select, years, value) {
    select.innerHTML = "";
    years.forEach(function (y) { select.appendChild(h("option", { value: String(y), text: String(y) })); });
    if (value !== null) select.value = String(value);
  }
  function renderHead(ind) {
    el("indicator-title").textContent = state.view === "reports" ? t("reportsTitle") : ind ? name(ind) : t("pickIndicator");
    el("indicator-meta").textContent = ind && state.view !== "reports" ? (t("categories")[ind.category] || ind.category) +
      " · " + t("better")[ind.direction.toLowerCase()] + (unitLabel(ind.unit) ? " · " + unitLabel(ind.unit) : "") + " · " + definition(ind) : "";
    Array.prototype.forEach.call(document.querySelectorAll("[role=tab]"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-view") === state.view));
    });
    var slice = ind ? sliceOf(ind) : null;
    var years = sliceYears(slice);
    var allYears = [];
    for (var y = (years[0] || 2020); y <= (years[years.length - 1] || 2025); y++) allYears.push(y);
    fillYears(el("year"), allYears, state.year);
    fillYears(el("from"), years.filter(function (y) { return state.year === null || y < state.year; }), state.from);
    var ksel = el("kind"), bsel = el("breakdown");
    ksel.innerHTML = ""; bsel.innerHTML = "";
    if (slice) {
      var kinds = [];
      ind.slices.forEach(function (s) { if (kinds.indexOf(s.kind) < 0) kinds.push(s.kind); });
      kinds.forEach(function (k) { ksel.appendChild(h("option", { value: k, text: t("kinds")[k] || k })); });
      ksel.value = slice.kind;
      ind.slices.filter(function (s) { return s.kind === slice.kind; }).forEach(function (s) {
        bsel.appendChild(h("option", { value: s.bd, text: bdLabel(s.members) }));
      });
      bsel.value = slice.bd;
    }
    var chartView = state.view === "ranking" || state.view === "series" || state.view === "compare" || state.view === "scatter";
    el("kind-box").style.display = slice && ksel.options.length > 1 && (state.view === "ranking" || state.view === "series" || state.view === "scatter") ? "" : "none";
    el("breakdown-box").style.display = slice && bsel.options.length > 1 && chartView ? "" : "none";
    el("year-box").style.display = state.view === "series" || state.view === "source" || state.view === "reports" ? "none" : "";
    el("from-box").style.display = state.view === "change" ? "" : "none";
    var dsel = el("district");
    if (!dsel.options.length || dsel.getAttribute("data-lang") !== state.lang) {
      dsel.innerHTML = "";
      catalog.districts.forEach(function (d) { dsel.appendChild(h("option", { value: d.code, text: name(d) })); });
      dsel.setAttribute("data-lang", state.lang);
    }
    dsel.value = chosenDistricts()[0] || "";
    // With two districts or more, the chips say which are drawn (and remove them).
    el("district-box").style.display = state.view === "series" && chosenDistricts().length < 2 ? "" : "none";
    el("add-box").style.display = state.view === "series" ? "" : "none";
    el("y-box").style.display = state.view === "scatter" ? "" : "none";
    if (state.view === "scatter" && ind) {
      var ysel = el("y-indicator"), yind = scatterY(ind);
      ysel.innerHTML = "";
      catalog.indicators.forEach(function (i) {
        if (i.best && i.code !== ind.code) ysel.appendChild(h("option", { value: i.code, text: name(i) }));
      });
      ysel.value = yind ? yind.code : "";
    }
    renderChips();
    // Downloads apply to views that show data: the CSV is what the view shows, the image
    // exists where there is a chart.
    el("csv").style.display = state.view === "source" || state.view === "reports" ? "none" : "";
    var drawn = state.view === "ranking" || state.view === "change" || state.view === "series" || state.view === "scatter";
    el("png").style.display = drawn ? "" : "none";
    el("svg").style.display = drawn ? "" : "none";
    el("share-box").hidden = true;
    el("share").setAttribute("aria-expanded", "false");
    renderEmbedFoot(ind);
    csvRows = null;
    Array.prototype.forEach.call(document.querySelectorAll(".panel"), function (p) {
      p.className = "panel" + (p.id === state.view + "-view" ? " active" : "");
    });
  }

  // The unit of a slice's values: growth is in percent, a reported rank is a rank, a change of
  // a percent is in percentage points (the API's `Observation.unit` rule).
  function sliceUnit(ind, slice) {
    var k = slice ? slice.kind : "actual";
    if (k === "growth") return "percent";
    if (k === "rank") return "rank";
    if (k === "change" && ind.unit === "percent") return "percentage_point";
    return ind.unit;
  }
  function renderRanking(ind, seq) {
    var slice = sliceOf(ind), unit = sliceUnit(ind, slice);
    var q = "query($i: String!, $y: Int!, $k: ObservationKind!, $b: [BreakdownInput!]) { ranking(indicator: $i, year: $y, kind: $k, breakdown: $b, latestOnOrBefore: true) { " +
      "order rankedCount districtCount coverage entries { rank value year district { code nameZh nameEn } " + OBS + " } " +
      "missing { code nameZh nameEn } } }";
    // The map's outline is fetched and drawn after the bars and the table: on a slow link the
    // first chart does not share the bandwidth with it nor wait for it.
    return gql(q, { i: ind.code, y: state.year, k: slice.kind.toUpperCase(), b: bdArg(slice) }).then(function (d0) {
      if (seq !== requestSeq) return;
      var r = d0.ranking;
      var entries = r.entries.map(function (e) { return Object.assign({ unit: unit }, e); });
      lastRanking = { ranked: r.rankedCount, of: r.districtCount };
      var H = t("csvHead");
      csvRows = [[H.rank, H.district, H.code, H.value, H.unit, H.year, H.kind, H.breakdown, H.quote, H.report, H.docNo]].concat(entries.map(function (e) {
        var o = e.observation || {}, src = o.source || {};
        return [e.rank, name(e.district), e.district.code, e.value, unitLabel(unit) || unit, e.year, t("kinds")[slice.kind], bdLabel(slice.members),
          o.quote || "", (state.lang === "zh" ? src.titleZh : src.titleEn) || "", src.documentNumber || ""];
      }));
      el("coverage").textContent = t("coverage")(r.rankedCount, r.districtCount);
      el("missing").textContent = r.missing.length ? t("missing")(r.missing.length) + r.missing.map(name).join("、") : "";
      setStatus(entries.length ? "" : t("noValues"));
      var byCode = {};
      entries.forEach(function (e) { byCode[e.district.code] = e; });
      var bar = null, map = null;
      // Linked highlighting: a district pointed at in the bars, the map or the table is marked
      // in all three (the charts once they are drawn).
      var linked = function (code, on) {
        var type = on ? "highlight" : "downplay";
        if (map) map.dispatchAction({ type: type, seriesIndex: 0, name: code });
        var i = entries.map(function (e) { return e.district.code; }).indexOf(code);
        if (bar && i >= 0) bar.dispatchAction({ type: type, seriesIndex: 0, dataIndex: i });
        var row = table.querySelector("tr[data-district='" + code + "']");
        if (row) row.classList.toggle("linked", on);
        el("chart-map").setAttribute("data-linked", on ? code : "");
      };
      // Table: the accessible twin of the chart, one focusable row per ranked district.
      var table = el("ranking-table");
      table.innerHTML = "";
      table.appendChild(sortableHead(table, [["rank", t("rank")], ["name", t("districtCol")], ["value", t("value")], ["year", t("yearCol")]]));
      var ranks = entries.map(function (e) { return e.rank; });
      entries.forEach(function (e) {
        var tied = ranks.filter(function (x) { return x === e.rank; }).length > 1;
        var row = h("tr", {
          tabindex: "0", "data-district": e.district.code,
          "data-rank": String(e.rank), "data-name": name(e.district), "data-value": String(e.value), "data-year": String(e.year),
          onclick: function () { showProvenance(e); },
          onmouseenter: function () { linked(e.district.code, true); },
          onmouseleave: function () { linked(e.district.code, false); },
          onfocus: function () { linked(e.district.code, true); },
          onblur: function () { linked(e.district.code, false); },
          onkeydown: function (ev) {
            if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showProvenance(e); }
            if (ev.key === "ArrowDown" && row.nextSibling) { ev.preventDefault(); row.nextSibling.focus(); }
            if (ev.key === "ArrowUp" && row.previousSibling && row.previousSibling.hasAttribute("tabindex")) { ev.preventDefault(); row.previousSibling.focus(); }
          }
        }, [
          h("td", { text: (tied ? t("tie") + " " : "") + e.rank }),
          h("td", { class: "district" }, [name(e.district), flagMark(e.observation)]),
          numCell(e.value, unit),
          h("td", { text: String(e.year) + (e.year !== state.year ? " *" : "") })
        ]);
        table.appendChild(row);
      });
      // Bar chart, rank 1 at the top.
      var labels = entries.map(function (e) {
        var tied = ranks.filter(function (x) { return x === e.rank; }).length > 1;
        return (tied ? "=" : "") + e.rank + ". " + name(e.district) + (e.year !== state.year ? t("yearUsed")(e.year) : "");
      });
      describe("chart-ranking", name(ind) + " · " + t("ranking") + " · " + state.year + "：" +
        (entries.length ? entries.map(function (e, i) { return labels[i] + " " + short(e.value, unit); }).join("；") : t("noValues")));
      describe("chart-map", name(ind) + " · " + t("coverage")(r.rankedCount, r.districtCount));
      var shown = lastShown && lastShown.observation && byCode[lastShown.district.code];
      showProvenance(shown && shown.observation.key === lastShown.observation.key ? shown : null, true);
      // First visit on a slow link: the chart library is still on its way; the same bars, drawn
      // as plain SVG, stand in for it.
      if (!window.echarts) { quickBars(el("chart-ranking"), labels, entries, unit); firstViewDrawn(); }
      return chartLib().then(function () {
        if (seq !== requestSeq) return;
        bar = chart("chart-ranking");
        bar.clear();
        bar.setOption({
          animation: false,
          grid: { left: 8, right: 70, top: 10, bottom: 10, containLabel: true },
          tooltip: { trigger: "item", confine: true, formatter: function (p) { return tooltipHtml(entries[p.dataIndex]); } },
          // Three ticks: long labels such as 12亿元 do not run together in a narrow column.
          xAxis: { type: "value", splitNumber: 3, axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, unit); } } },
          yAxis: { type: "category", inverse: true, data: labels },
          series: [{ type: "bar", barMaxWidth: 28, data: entries.map(function (e) { return e.value; }), itemStyle: { color: "#2f6fab" },
            label: { show: true, position: "right", formatter: function (p) { return short(p.value, unit); } } }]
        });
        bar.off("click");
        bar.on("click", function (p) { showProvenance(entries[p.dataIndex]); });
        ["mouseover", "mouseout"].forEach(function (ev) {
          bar.off(ev);
          bar.on(ev, function (p) { if (entries[p.dataIndex]) linked(entries[p.dataIndex].district.code, ev === "mouseover"); });
        });
        firstViewDrawn();
        // Map: every region, coloured by value; grey where there is none.
        return loadMap().then(function (regions) {
          if (seq !== requestSeq) return;
          var values = entries.map(function (e) { return e.value; });
          var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
          map = chart("chart-map");
          map.clear();
          map.setOption({
            animation: false,
            tooltip: { trigger: "item", confine: true, formatter: function (p) {
              var e = byCode[p.name];
              var d = catalog.districtByCode[p.name];
              return e ? tooltipHtml(e) : esc(d ? name(d) : p.name) + "：" + esc(t("noData"));
            } },
            visualMap: values.length ? { min: min, max: max === min ? min + 1 : max, calculable: false, left: 0, bottom: 0,
              // The lowest value is a clear blue, far from the near-white of "no data".
              inRange: { color: ["#6baed6", "#08306b"] }, text: [short(max, unit), short(min, unit)],
              formatter: function (v) { return short(v, unit); } } : undefined,
            // Zoom and pan (wheel, pinch, drag): the central districts are a few pixels wide at
            // the map's full extent; the 主城区 button zooms onto them.
            series: [{ type: "map", map: "chongqing-codes", roam: true, scaleLimit: { min: 1, max: 12 }, itemStyle: { areaColor: "#f4f4f4", borderColor: "#9aa5b1" },
              emphasis: { label: { show: false } },
              data: regions.map(function (code) { var e = byCode[code]; return { name: code, value: e ? e.value : null }; }) }]
          });
          map.off("click");
          map.on("click", function (p) { if (byCode[p.name]) showProvenance(byCode[p.name]); });
          ["mouseover", "mouseout"].forEach(function (ev) {
            map.off(ev);
            map.on(ev, function (p) { if (byCode[p.name]) linked(p.name, ev === "mouseover"); });
          });
          var zoom = el("zoom-center");
          zoom.textContent = t("zoomCenter");
          zoom.setAttribute("aria-pressed", "false");
          zoom.onclick = function () {
            var on = zoom.getAttribute("aria-pressed") !== "true";
            // Yuzhong, the middle of the nine central districts (主城九区).
            map.setOption({ series: [{ center: on ? [106.55, 29.56] : null, zoom: on ? 7 : 1 }] });
            zoom.setAttribute("aria-pressed", String(on));
            zoom.textContent = on ? t("zoomAll") : t("zoomCenter");
          };
        });
      });
    });
  }

  // The change view compares two years of actual values (the API's `change`). The years come
  // from the years the slice has data: `to` is the chosen year or the latest before it with
  // data, `from` the chosen start or the latest year before `to`. Only districts with a value
  // in both years are compared; the others are named below the table.
  function renderChange(ind, seq) {
    var slice = ind.slices.filter(function (s) { return s.kind === "actual" && s.bd === (sliceOf(ind) || {}).bd; })[0] ||
      ind.slices.filter(function (s) { return s.kind === "actual" && s.bd === ""; })[0];
    var years = sliceYears(slice);
    var to = years.filter(function (y) { return y <= state.year; }).pop();
    var earlier = years.filter(function (y) { return to !== undefined && y < to; });
    var from = earlier.indexOf(state.from) >= 0 ? state.from : earlier[earlier.length - 1];
    var table = el("change-table");
    table.innerHTML = "";
    el("change-missing").textContent = "";
    var c = chart("chart-change");
    c.clear();
    if (from === undefined || to === undefined) {
      setStatus(t("noChange"));
      describe("chart-change", t("noChange"));
      csvRows = [];
      return Promise.resolve();
    }
    fillYears(el("from"), earlier, from);
    var q = "query($i: String!, $f: Int!, $t: Int!, $b: [BreakdownInput!]) { change(indicator: $i, from: $f, to: $t, breakdown: $b) { " +
      "district { code nameZh nameEn } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }";
    return drawable(gql(q, { i: ind.code, f: from, t: to, b: bdArg(slice) })).then(function (d) {
      if (seq !== requestSeq) return;
      var rows = d.change.filter(function (r) { return r.fromValue !== null && r.toValue !== null; });
      var single = d.change.filter(function (r) { return r.fromValue === null || r.toValue === null; });
      setStatus(rows.length ? (to !== state.year ? t("yearUsed")(to) : "") : t("noChange"));
      el("change-missing").textContent = single.length ? t("oneYearOnly")(single.length) + single.map(function (r) { return name(r.district); }).join("、") : "";
      var H = t("csvHead");
      csvRows = [[H.district, H.code, H.from + " " + from, H.to + " " + to, H.abs, H.unit, H.rel]].concat(rows.map(function (r) {
        return [name(r.district), r.district.code, r.fromValue, r.toValue, r.absoluteChange, unitLabel(r.absoluteUnit) || r.absoluteUnit, r.relativeChange];
      }));
      if (!rows.length) return;
      table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") }), h("th", { text: t("fromV") + " " + from }), h("th", { text: t("toV") + " " + to }), h("th", { text: t("absChange") }), h("th", { text: t("relChange") })]));
      rows.forEach(function (r) {
        var abs = r.absoluteChange === null ? h("td", { class: "num", text: "—" }) :
          r.absoluteUnit === "percentage_point" ? h("td", { class: "num", text: (r.absoluteChange > 0 ? "+" : "") + trim(r.absoluteChange) + " " + t("pp") }) : numCell(r.absoluteChange, r.absoluteUnit);
        var rel = r.relativeChange === null ? h("td", { text: t("gap")[r.relativeChangeGap] || "—" }) :
          h("td", { class: "num", text: (r.relativeChange > 0 ? "+" : "") + trim(r.relativeChange) + "%" });
        table.appendChild(h("tr", {}, [h("td", { class: "district", text: name(r.district) }), numCell(r.fromValue, ind.unit), numCell(r.toValue, ind.unit), abs, rel]));
      });
      describe("chart-change", name(ind) + " · " + from + "–" + to + "：" + rows.map(function (r) {
        return name(r.district) + " " + short(r.fromValue, ind.unit) + " → " + short(r.toValue, ind.unit);
      }).join("；"));
      c.setOption({
        animation: false, legend: { data: [String(from), String(to)] }, tooltip: { trigger: "axis", confine: true },
        grid: { containLabel: true, left: 8, right: 8 },
        xAxis: { type: "category", data: rows.map(function (r) { return name(r.district); }), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
        yAxis: { type: "value", axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, ind.unit); } } },
        series: [
          { name: String(from), type: "bar", data: rows.map(function (r) { return r.fromValue; }) },
          { name: String(to), type: "bar", data: rows.map(function (r) { return r.toValue; }) }
        ]
      });
    });
  }

  // One district's values over the years. The x axis is a category axis of the years with
  // data, so a single year is one labelled point, not a clipped value axis.
  function renderSeries(ind, seq) {
    var slice = sliceOf(ind), unit = sliceUnit(ind, slice);
    var pick = withData(ind, slice, seq).then(function (codes) {
      return chosenDistricts()[0] || codes[0] || catalog.districts[0].code;
    });
    var q = "query($d: String!, $i: String!, $k: ObservationKind!, $b: [BreakdownInput!]) { a: timeSeries(district: $d, indicator: $i, kind: $k, breakdown: $b) { points { year value " + OBS + " } } " +
      "t: timeSeries(district: $d, indicator: $i, kind: TARGET, breakdown: $b) { points { year value " + OBS + " } } " +
      "district(code: $d) { code nameZh nameEn } }";
    var withTargets = slice.kind === "actual";
    return pick.then(function (district) {
      if (seq !== requestSeq) return null;
      el("district").value = district;
      var add = el("add-district");
      Array.prototype.slice.call(add.options).forEach(function (o) { if (o.value === district) o.remove(); });
      add.disabled = add.options.length < 2;
      return drawable(gql(q, { d: district, i: ind.code, k: slice.kind.toUpperCase(), b: bdArg(slice) }));
    }).then(function (d) {
      if (!d || seq !== requestSeq) return;
      var actual = d.a.points, target = withTargets ? d.t.points : [];
      var wrap = function (p) { return Object.assign({ district: d.district, unit: unit }, p); };
      setStatus(actual.length || target.length ? "" : t("noSeries"));
      var table = el("series-table");
      table.innerHTML = "";
      var first = withTargets ? t("actual") : t("kinds")[slice.kind];
      table.appendChild(h("tr", {}, [h("th", { text: t("yearCol") }), h("th", { text: first })].concat(withTargets ? [h("th", { text: t("target") })] : [])));
      var years = [];
      actual.concat(target).forEach(function (p) { if (years.indexOf(p.year) < 0) years.push(p.year); });
      years.sort();
      var at = function (list, y) { return list.filter(function (p) { return p.year === y; })[0]; };
      var H = t("csvHead");
      csvRows = [[H.district, H.code, H.year, first].concat(withTargets ? [H.target] : []).concat([H.unit])].concat(years.map(function (y) {
        var a = at(actual, y), g = at(target, y);
        return [name(d.district), d.district.code, y, a ? a.value : null].concat(withTargets ? [g ? g.value : null] : []).concat([unitLabel(unit) || unit]);
      }));
      years.forEach(function (y) {
        var cell = function (p) { return valueCell(p && wrap(p), unit); };
        table.appendChild(h("tr", {}, [h("td", { text: String(y) }), cell(at(actual, y))].concat(withTargets ? [cell(at(target, y))] : [])));
      });
      var c = chart("chart-series");
      c.clear();
      describe("chart-series", name(ind) + " · " + name(d.district) + "：" + years.map(function (y) {
        var p = at(actual, y);
        return y + " " + (p ? short(p.value, unit) : "—");
      }).join("；"));
      var labels = years.map(String);
      var series = [{ name: first, type: "line", connectNulls: true, symbolSize: 8, data: years.map(function (y) { var p = at(actual, y); return p ? p.value : null; }) }];
      if (withTargets) series.push({ name: t("target"), type: "scatter", symbol: "diamond", symbolSize: 14, data: years.map(function (y) { var p = at(target, y); return p ? p.value : null; }) });
      c.setOption({
        animation: false, legend: { data: series.map(function (x) { return x.name; }) },
        tooltip: { trigger: "item", confine: true, formatter: function (p) { var list = p.seriesIndex === 0 ? actual : target; return tooltipHtml(wrap(at(list, years[p.dataIndex]))); } },
        grid: { containLabel: true, left: 8, right: 24 },
        xAxis: { type: "category", data: labels, boundaryGap: true },
        yAxis: { type: "value", axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, unit); } } },
        series: series
      });
      c.off("click");
      c.on("click", function (p) { var list = p.seriesIndex === 0 ? actual : target; var hit = at(list, years[p.dataIndex]); if (hit) showProvenance(wrap(hit)); });
    });
  }

  // The districts the series view shows (the hash's district=, a comma-separated list).
  function chosenDistricts() {
    return state.district ? state.district.split(",").filter(Boolean).slice(0, MAX_TREND) : [];
  }
  // Districts with a value of the slice in its latest year (or before): the ones worth adding
  // to a trend. Fills the 加入区县 list with those not shown yet; resolves to their codes.
  function withData(ind, slice, seq) {
    var q = "query($i: String!, $y: Int!, $k: ObservationKind!, $b: [BreakdownInput!]) { ranking(indicator: $i, year: $y, kind: $k, breakdown: $b, latestOnOrBefore: true) { entries { district { code } } } }";
    return gql(q, { i: ind.code, y: sliceYears(slice).pop(), k: slice.kind.toUpperCase(), b: bdArg(slice) }).then(function (d) {
      var codes = d.ranking.entries.map(function (e) { return e.district.code; });
      if (seq !== requestSeq) return codes;
      var shown = chosenDistricts();
      var add = el("add-district");
      add.innerHTML = "";
      add.appendChild(h("option", { value: "", text: t("addPick") }));
      codes.forEach(function (c) {
        if (shown.indexOf(c) < 0 && catalog.districtByCode[c]) add.appendChild(h("option", { value: c, text: name(catalog.districtByCode[c]) }));
      });
      add.disabled = add.options.length < 2 || shown.length >= MAX_TREND;
      return codes;
    });
  }
  // The districts of a trend as removable chips (series view, two or more districts).
  function renderChips() {
    var box = el("chosen-districts");
    box.innerHTML = "";
    var list = chosenDistricts();
    if (state.view !== "series" || list.length < 2) return;
    list.forEach(function (code) {
      var d = catalog.districtByCode[code];
      var label = d ? name(d) : code;
      box.appendChild(h("button", { type: "button", class: "chip", "aria-label": t("remove") + " " + label, onclick: function () {
        writeHash({ district: list.filter(function (c) { return c !== code; }).join(",") });
      } }, [label + " ×"]));
    });
    if (list.length >= MAX_TREND) box.appendChild(h("span", { class: "note", text: t("tooManyDistricts")(MAX_TREND) }));
  }
  // Several districts' values over the years, one line each (the series view with two or more
  // districts). Actual values of the slice; targets are left to the one-district view.
  function renderTrends(ind, seq) {
    var slice = sliceOf(ind), unit = sliceUnit(ind, slice);
    var codes = chosenDistricts();
    var vars = { i: ind.code, k: slice.kind.toUpperCase(), b: bdArg(slice) };
    var decl = ["$i: String!", "$k: ObservationKind!", "$b: [BreakdownInput!]"];
    var fields = codes.map(function (c, n) {
      vars["d" + n] = c;
      decl.push("$d" + n + ": String!");
      return "s" + n + ": timeSeries(district: $d" + n + ", indicator: $i, kind: $k, breakdown: $b) { points { year value " + OBS + " } }";
    });
    var q = "query(" + decl.join(", ") + ") { " + fields.join(" ") + " }";
    withData(ind, slice, seq);
    return drawable(gql(q, vars)).then(function (d) {
      if (seq !== requestSeq) return;
      var lines = codes.map(function (c, n) {
        var district = catalog.districtByCode[c] || { code: c, nameZh: c, nameEn: c };
        return { district: district, points: d["s" + n].points.map(function (p) { return Object.assign({ district: district, unit: unit }, p); }) };
      });
      var years = [];
      lines.forEach(function (l) { l.points.forEach(function (p) { if (years.indexOf(p.year) < 0) years.push(p.year); }); });
      years.sort();
      var at = function (l, y) { return l.points.filter(function (p) { return p.year === y; })[0]; };
      setStatus(years.length ? t("trendNote")(lines.length) : t("noSeries"));
      var table = el("series-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("yearCol") })].concat(lines.map(function (l) { return h("th", { class: "district", text: name(l.district) }); }))));
      years.forEach(function (y) {
        table.appendChild(h("tr", {}, [h("td", { text: String(y) })].concat(lines.map(function (l) {
          return valueCell(at(l, y), unit);
        }))));
      });
      var H = t("csvHead");
      csvRows = [[H.district, H.code, H.year, t("kinds")[slice.kind], H.unit, H.breakdown, H.quote, H.report, H.docNo]];
      lines.forEach(function (l) {
        l.points.forEach(function (p) {
          var o = p.observation || {}, src = o.source || {};
          csvRows.push([name(l.district), l.district.code, p.year, p.value, unitLabel(unit) || unit, bdLabel(slice.members),
            o.quote || "", (state.lang === "zh" ? src.titleZh : src.titleEn) || "", src.documentNumber || ""]);
        });
      });
      describe("chart-series", name(ind) + "：" + lines.map(function (l) {
        return name(l.district) + " " + l.points.map(function (p) { return p.year + " " + short(p.value, unit); }).join("，");
      }).join("；"));
      var c = chart("chart-series");
      c.clear();
      c.setOption({
        animation: false,
        legend: { type: "plain", data: lines.map(function (l) { return name(l.district); }) },
        tooltip: { trigger: "item", confine: true, formatter: function (p) { var hit = at(lines[p.seriesIndex], years[p.dataIndex]); return tooltipHtml(hit); } },
        grid: { containLabel: true, left: 8, right: 24, top: 40 },
        xAxis: { type: "category", data: years.map(String), boundaryGap: true },
        yAxis: { type: "value", axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, unit); } } },
        series: lines.map(function (l) {
          return { name: name(l.district), type: "line", connectNulls: true, symbolSize: 8,
            data: years.map(function (y) { var p = at(l, y); return p ? p.value : null; }) };
        })
      });
      c.off("click");
      c.on("click", function (p) { var hit = at(lines[p.seriesIndex], years[p.dataIndex]); if (hit) showProvenance(hit); });
    });
  }

  // The indicator on the scatter's vertical axis: the one the URL names, else the best-covered
  // other indicator.
  function scatterY(ind) {
    var y = catalog.byCode[state.y];
    if (y && y.best && y.code !== ind.code) return y;
    return catalog.indicators.filter(function (i) { return i.best && i.code !== ind.code; })[0] || null;
  }
  // Two indicators, one point per district with values of both (the chosen year or the latest
  // before it, as in the ranking). Every point carries both values' sources.
  function renderScatter(ind, seq) {
    var slice = sliceOf(ind), unit = sliceUnit(ind, slice);
    var yind = scatterY(ind);
    if (!yind) { setStatus(t("noScatter")); return Promise.resolve(); }
    var yslice = yind.best, yunit = sliceUnit(yind, yslice);
    var part = function (alias, i, k, b) {
      return alias + ": ranking(indicator: " + i + ", year: $yr, kind: " + k + ", breakdown: " + b + ", latestOnOrBefore: true) { entries { value year district { code nameZh nameEn } " + OBS + " } missing { code } }";
    };
    var q = "query($x: String!, $y: String!, $yr: Int!, $xk: ObservationKind!, $yk: ObservationKind!, $xb: [BreakdownInput!], $yb: [BreakdownInput!]) { " +
      part("x", "$x", "$xk", "$xb") + " " + part("y", "$y", "$yk", "$yb") + " }";
    return drawable(gql(q, { x: ind.code, y: yind.code, yr: state.year, xk: slice.kind.toUpperCase(), yk: yslice.kind.toUpperCase(), xb: bdArg(slice), yb: bdArg(yslice) })).then(function (d) {
      if (seq !== requestSeq) return;
      var ys = {};
      d.y.entries.forEach(function (e) { ys[e.district.code] = Object.assign({ unit: yunit }, e); });
      var pairs = [], oneSide = [];
      d.x.entries.forEach(function (e) {
        var x = Object.assign({ unit: unit }, e), y = ys[e.district.code];
        if (y) { pairs.push({ district: e.district, x: x, y: y }); delete ys[e.district.code]; } else oneSide.push(e.district);
      });
      Object.keys(ys).forEach(function (c) { oneSide.push(ys[c].district); });
      setStatus(pairs.length ? t("scatterNote")(pairs.length) : t("noScatter"));
      el("scatter-missing").textContent = oneSide.length ? t("scatterOneSide")(oneSide.length) + oneSide.map(name).join("、") : "";
      var xl = name(ind) + (unitLabel(unit) ? "（" + unitLabel(unit) + "）" : ""), yl = name(yind) + (unitLabel(yunit) ? "（" + unitLabel(yunit) + "）" : "");
      var table = el("scatter-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") }), h("th", { text: xl }), h("th", { text: t("yearCol") }), h("th", { text: yl }), h("th", { text: t("yearCol") })]));
      pairs.forEach(function (p) {
        var row = h("tr", { tabindex: "0", onclick: function () { showProvenance(p.x, false, p.y); },
          onkeydown: function (ev) { if (ev.key === "Enter") showProvenance(p.x, false, p.y); } },
        [h("td", { class: "district", text: name(p.district) }), numCell(p.x.value, unit), h("td", { text: String(p.x.year) }), numCell(p.y.value, yunit), h("td", { text: String(p.y.year) })]);
        table.appendChild(row);
      });
      var H = t("csvHead");
      csvRows = [[H.district, H.code, name(ind), H.unit, H.year, name(yind), H.unit, H.year]].concat(pairs.map(function (p) {
        return [name(p.district), p.district.code, p.x.value, unitLabel(unit) || unit, p.x.year, p.y.value, unitLabel(yunit) || yunit, p.y.year];
      }));
      describe("chart-scatter", xl + " × " + yl + "：" + (pairs.length ? pairs.map(function (p) {
        return name(p.district) + " " + short(p.x.value, unit) + "，" + short(p.y.value, yunit);
      }).join("；") : t("noScatter")));
      var c = chart("chart-scatter");
      c.clear();
      c.setOption({
        animation: false,
        tooltip: { trigger: "item", confine: true, formatter: function (e) { var p = pairs[e.dataIndex]; return tooltipHtml(p.x) + "<hr>" + tooltipHtml(p.y); } },
        grid: { containLabel: true, left: 16, right: 40, top: 36, bottom: 36 },
        xAxis: { type: "value", scale: true, name: xl, nameLocation: "middle", nameGap: 28, splitNumber: 3, axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, unit); } } },
        yAxis: { type: "value", scale: true, name: yl, nameLocation: "end", nameTextStyle: { align: "left" }, axisLabel: { hideOverlap: true, formatter: function (v) { return short(v, yunit); } } },
        series: [{ type: "scatter", symbolSize: 14, itemStyle: { color: "#2f6fab" },
          label: { show: true, position: "right", formatter: function (e) { return name(pairs[e.dataIndex].district); } },
          data: pairs.map(function (p) { return [p.x.value, p.y.value]; }) }]
      });
      c.off("click");
      c.on("click", function (e) { var p = pairs[e.dataIndex]; if (p) showProvenance(p.x, false, p.y); });
    });
  }

  // The category's indicators side by side, the chosen one first; for a breakdown, the other
  // indicators with values of the same breakdown.
  function renderCompare(ind, seq) {
    var slice = sliceOf(ind);
    var bd = slice && slice.kind === "actual" ? slice.bd : "";
    var hasSlice = function (i) { return i.slices && i.slices.some(function (s) { return s.kind === "actual" && s.bd === bd; }); };
    var others = catalog.indicators.filter(function (i) { return i.code !== ind.code && i.category === ind.category && hasSlice(i); });
    var inds = [ind].concat(others.slice(0, 11));
    var members = (ind.slices.filter(function (s) { return s.kind === "actual" && s.bd === bd; })[0] || { members: [] }).members;
    var districts = catalog.districts.filter(function (d) { return d.level !== "municipality"; });
    var q = "query($d: [String!]!, $i: [String!]!, $y: Int!, $b: [BreakdownInput!]) { compare(districts: $d, indicators: $i, year: $y, breakdown: $b, latestOnOrBefore: true) { " +
      "rows { district { code nameZh nameEn } cells { indicator value year " + OBS + " } } } }";
    var b = members.map(function (m) { return { dimension: m.dimension, member: m.member }; });
    return gql(q, { d: districts.map(function (x) { return x.code; }), i: inds.map(function (x) { return x.code; }), y: state.year, b: b }).then(function (d) {
      if (seq !== requestSeq) return;
      var rows = d.compare.rows.filter(function (r) { return r.cells.some(function (c) { return c.value !== null; }); });
      setStatus(rows.length ? t("compareNote") : t("noValues"));
      var H = t("csvHead");
      csvRows = [[H.district, H.code].concat(inds.map(function (i) { return name(i) + (unitLabel(i.unit) ? "（" + unitLabel(i.unit) + "）" : ""); }))].concat(rows.map(function (r) {
        return [name(r.district), r.district.code].concat(r.cells.map(function (c) { return c.value; }));
      }));
      var table = el("compare-table");
      table.innerHTML = "";
      table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") })].concat(inds.map(function (i) { return h("th", { text: name(i) }); }))));
      var ranges = inds.map(function (i, k) {
        var vs = rows.map(function (r) { return r.cells[k].value; }).filter(function (v) { return v !== null; });
        return [Math.min.apply(null, vs), Math.max.apply(null, vs)];
      });
      rows.forEach(function (r) {
        table.appendChild(h("tr", {}, [h("td", { class: "district", text: name(r.district) })].concat(r.cells.map(function (c, k) {
          if (c.value === null) return h("td", { class: "num", style: "background:#eee", text: "—" });
          var unit = inds[k].unit;
          var span = ranges[k][1] - ranges[k][0];
          var share = span > 0 ? (c.value - ranges[k][0]) / span : 0.5;
          var td = valueCell(Object.assign({ district: r.district, unit: unit }, c), unit);
          td.setAttribute("style", heat(share));
          if (c.year !== state.year) td.textContent += " (" + c.year + ")";
          return td;
        }))));
      });
    });
  }

  // A header row whose buttons sort the table's rows (by their data-<key> attribute; numbers
  // as numbers, names in the page's collation); a second click reverses. aria-sort says how
  // the table is sorted, for screen readers.
  function sortableHead(table, columns) {
    var tr = h("tr", {});
    columns.forEach(function (col) {
      var th = h("th", { "aria-sort": col[0] === "rank" ? "ascending" : "none" });
      th.appendChild(h("button", { type: "button", class: "sort", text: col[1], onclick: function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(tr.children, function (x) { x.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-district]"));
        var key = "data-" + col[0];
        rows.sort(function (a, b) {
          var x = a.getAttribute(key), y = b.getAttribute(key);
          var c = col[0] === "name" ? x.localeCompare(y, state.lang === "zh" ? "zh-CN" : "en") : Number(x) - Number(y);
          return up ? c : -c;
        });
        rows.forEach(function (r) { table.appendChild(r); });
      } }));
      tr.appendChild(th);
    });
    return tr;
  }
  // A heat-table cell's colours: opaque blues, dark text on the light half and white text on
  // the dark half, each pair at a contrast of 4.5:1 or more (WCAG AA; #8ab4dc on #1f2933 is
  // 6.8, white on #3a75ad 4.9).
  function heat(share) {
    var mix = function (a, b, f) {
      return "#" + [0, 2, 4].map(function (i) {
        var x = Math.round(parseInt(a.substr(i, 2), 16) * (1 - f) + parseInt(b.substr(i, 2), 16) * f);
        return (x < 16 ? "0" : "") + x.toString(16);
      }).join("");
    };
    return share < 0.5 ? "background:" + mix("eef4fb", "8ab4dc", share * 2) + ";color:#1f2933"
      : "background:" + mix("3a75ad", "163d63", (share - 0.5) * 2) + ";color:#fff";
  }

  // The reports loaded, newest first, each opening its text in the source view.
  function renderReports() {
    setStatus("");
    var table = el("reports-table");
    table.innerHTML = "";
    table.appendChild(h("tr", {}, [h("th", { text: t("districtCol") }), h("th", { text: t("report") }), h("th", { text: t("docNo") }), h("th", { text: t("date") })]));
    sources.slice().sort(function (a, b) { return (b.date || "").localeCompare(a.date || "") || a.code.localeCompare(b.code); }).forEach(function (s) {
      table.appendChild(h("tr", {}, [
        h("td", { class: "district", text: s.district ? name(s.district) : "" }),
        h("td", {}, [h("a", { href: "#view=source&source=" + encodeURIComponent(s.code) + "&lang=" + state.lang, text: state.lang === "zh" ? s.titleZh : s.titleEn })]),
        h("td", { text: s.documentNumber || "—" }),
        h("td", { text: s.date || "—" })
      ]));
    });
    return Promise.resolve();
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
        var span = h(tag, { class: "quote", id: "q-" + o.key, title: name(o.indicator) + ": " + o.valueText + printedUnit(o.reportedUnit) },
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
    renderLoaded();
    var ind = catalog.byCode[state.indicator];
    if (ind && !ind.best) ind = null;
    // The panel shows a value of what the reader was looking at: another indicator or slice
    // closes it.
    if (lastShown && lastShown.viewKey !== viewKey()) showProvenance(null);
    if (state.year === null && ind) state.year = sliceYears(sliceOf(ind)).pop() || new Date().getFullYear();
    renderHead(ind);
    var seq = ++requestSeq;
    if (state.view === "source") { showProvenance(null); return wrapErrors(renderSource(seq), seq); }
    if (state.view === "reports") { showProvenance(null); return wrapErrors(renderReports(), seq); }
    if (!ind) { setStatus(state.indicator ? t("noIndicators") : t("pickIndicator")); return; }
    setStatus(t("loading"));
    var work = state.view === "change" ? renderChange(ind, seq)
      : state.view === "series" ? (chosenDistricts().length > 1 ? renderTrends(ind, seq) : renderSeries(ind, seq))
        : state.view === "scatter" ? renderScatter(ind, seq)
        : state.view === "compare" ? renderCompare(ind, seq)
          : renderRanking(ind, seq);
    wrapErrors(work, seq);
  }
  // What the warehouse holds: N reports from M of the 38 districts, with a link to the list.
  function renderLoaded() {
    var all = catalog.districts.filter(function (d) { return d.level !== "municipality"; });
    var withData = {};
    sources.forEach(function (s) { if (s.district && s.district.code !== "500000") withData[s.district.code] = true; });
    var box = el("loaded");
    box.innerHTML = "";
    box.appendChild(document.createTextNode(t("loaded")(sources.length, Object.keys(withData).length, all.length) + " "));
    box.appendChild(h("a", { href: "#view=reports&lang=" + state.lang, text: t("reportsLink") }));
  }
  // The CSV of what the view shows: a BOM so that Excel on Chinese Windows reads UTF-8, CRLF
  // line ends, and text cells that a spreadsheet would run as a formula (OWASP's list: = + - @
  // tab, CR) prefixed with an apostrophe. Numbers stay numbers.
  function csvText(rows) {
    var cell = function (v) {
      if (v === null || v === undefined) return "";
      if (typeof v === "number") return String(v);
      var s = String(v);
      if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    return "\uFEFF" + rows.map(function (r) { return r.map(cell).join(","); }).join("\r\n") + "\r\n";
  }
  function download(name, href) {
    var a = h("a", { href: href, download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }
  function fileStem() {
    var ind = catalog && catalog.byCode[state.indicator];
    var slice = ind && ind.best ? sliceOf(ind) : null;
    var parts = [state.indicator || "edustats", state.view];
    if (slice && slice.kind !== "actual") parts.push(slice.kind);
    if (slice && slice.bd) parts.push(slice.bd.replace(/[:,]/g, "-"));
    if (state.view === "change" && state.from) parts.push(String(state.from));
    if (state.view === "series") parts.push(el("district").value);
    else if (state.year) parts.push(String(state.year));
    return parts.join("-");
  }
  // What an image of the chart says about itself: title; view, slice, year and unit; source.
  function imageWords() {
    var ind = catalog.byCode[state.indicator];
    var slice = ind ? sliceOf(ind) : null;
    var districts = chosenDistricts().map(function (c) { return name(catalog.districtByCode[c]); }).join("、");
    var yind = state.view === "scatter" && ind ? scatterY(ind) : null;
    var when = state.view === "change" ? (el("from").value + "–" + state.year)
      : state.view === "series" ? (districts || name(catalog.districtByCode[el("district").value])) : String(state.year);
    return {
      title: ind ? name(ind) + (yind ? " × " + name(yind) : "") : "",
      sub: [t(state.view), slice ? t("kinds")[slice.kind] : "", slice ? bdLabel(slice.members) : "", when,
        ind && !yind && unitLabel(sliceUnit(ind, slice)) ? t("csvHead").unit + "：" + unitLabel(sliceUnit(ind, slice)) : ""].filter(Boolean).join(" · "),
      source: state.view === "ranking" && lastRanking ? t("sourceLine")(lastRanking.ranked, lastRanking.of) : t("sourceShort")
    };
  }
  var SVG_NS = "http://www.w3.org/2000/svg";
  // The chart as a self-describing SVG: the chart drawn again by the SVG renderer, with the
  // same words as the PNG around it.
  function chartSvg(c) {
    var w = c.getWidth(), ht = c.getHeight(), pad = 16, head = 64, foot = 30;
    var box = h("div", { style: "position:absolute;left:-20000px;top:0;width:" + w + "px;height:" + ht + "px" });
    document.body.appendChild(box);
    var copy = echarts.init(box, null, { renderer: "svg", width: w, height: ht });
    var svg;
    try {
      var opt = c.getOption();
      opt.animation = false;
      copy.setOption(opt);
      svg = copy.renderToSVGString();
    } finally {
      copy.dispose();
      box.remove();
    }
    var words = imageWords();
    var text = function (x, y, size, weight, fill, s) {
      return "<text x=\"" + x + "\" y=\"" + y + "\" font-size=\"" + size + "\" font-weight=\"" + weight + "\" fill=\"" + fill + "\">" + esc(s) + "</text>";
    };
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
      "<svg xmlns=\"" + SVG_NS + "\" width=\"" + (w + 2 * pad) + "\" height=\"" + (ht + head + foot) + "\" font-family=\"system-ui, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif\">" +
      "<title>" + esc(words.title) + "</title>" +
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>" +
      text(pad, 28, 18, "bold", "#1f2933", words.title) + text(pad, 52, 13, "normal", "#1f2933", words.sub) +
      "<g transform=\"translate(" + pad + "," + head + ")\">" + svg.replace(/^<\?xml[^>]*>\s*/, "") + "</g>" +
      text(pad, head + ht + 20, 12, "normal", "#52606d", words.source) + "</svg>\n";
  }
  // The chart as a self-describing image: title, slice and year above, unit and source below.
  function chartImage(c) {
    var words = imageWords();
    var ratio = 2, pad = 16 * ratio;
    var img = new Image();
    return new Promise(function (resolve) {
      img.onload = function () {
        var canvas = document.createElement("canvas");
        var head = 64 * ratio, foot = 30 * ratio;
        canvas.width = img.width + 2 * pad;
        canvas.height = img.height + head + foot;
        var g = canvas.getContext("2d");
        g.fillStyle = "#fff"; g.fillRect(0, 0, canvas.width, canvas.height);
        g.fillStyle = "#1f2933";
        g.font = "bold " + 18 * ratio + "px system-ui, sans-serif";
        g.fillText(words.title, pad, 28 * ratio);
        g.font = 13 * ratio + "px system-ui, sans-serif";
        g.fillText(words.sub, pad, 52 * ratio);
        g.drawImage(img, pad, head);
        g.fillStyle = "#52606d";
        g.font = 12 * ratio + "px system-ui, sans-serif";
        g.fillText(words.source, pad, head + img.height + 20 * ratio);
        resolve(canvas.toDataURL("image/png"));
      };
      img.src = c.getDataURL({ type: "png", pixelRatio: ratio, backgroundColor: "#fff" });
    });
  }
  // Time from navigation start to the first chart drawn, read by the browser test (the ranking
  // marks it when its bars are drawn, before the map).
  function firstViewDrawn() {
    if (document.body.hasAttribute("data-first-view-ms")) return;
    document.body.setAttribute("data-first-view-ms", String(Math.round(performance.now())));
    mark("first-chart");
  }
  function wrapErrors(p, seq) {
    return p.then(function () {
      if (seq !== requestSeq) return;
      firstViewDrawn();
      document.body.setAttribute("data-ready", state.view);
    }, function (e) {
      if (seq === requestSeq) showError(e);
    });
  }

  // The embedded chart's own line: where it comes from, and a link to the full view.
  function renderEmbedFoot(ind) {
    var foot = el("embed-foot");
    foot.innerHTML = "";
    if (!embedded) return;
    foot.appendChild(document.createTextNode(t("sourceShort") + " · "));
    foot.appendChild(h("a", { href: "/" + location.hash, target: "_blank", rel: "noopener", text: t("embedOpen") }));
    if (ind) document.title = name(ind) + " · edustats";
  }

  function start() {
    mark("script");
    if (embedded) document.body.classList.add("embed");
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
    var viewChart = function () {
      var id = { ranking: "chart-ranking", change: "chart-change", series: "chart-series", scatter: "chart-scatter" }[state.view];
      return id && charts[id];
    };
    el("png").addEventListener("click", function () {
      var c = viewChart();
      if (!c) return;
      chartImage(c).then(function (url) { download(fileStem() + ".png", url); });
    });
    el("svg").addEventListener("click", function () {
      var c = viewChart();
      if (!c) return;
      var url = URL.createObjectURL(new Blob([chartSvg(c)], { type: "image/svg+xml;charset=utf-8" }));
      download(fileStem() + ".svg", url);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
    el("share").addEventListener("click", function () {
      var box = el("share-box"), open = box.hidden;
      box.hidden = !open;
      el("share").setAttribute("aria-expanded", String(open));
      if (!open) return;
      var title = catalog && catalog.byCode[state.indicator] ? name(catalog.byCode[state.indicator]) : t("title");
      el("share-link").value = location.origin + "/" + location.hash;
      el("embed-code").value = "<iframe src=\"" + location.origin + "/embed" + location.hash + "\" width=\"800\" height=\"600\" style=\"border:0\" title=\"" + esc(title) + "\" loading=\"lazy\"></iframe>";
      el("copied").textContent = "";
    });
    var copyFrom = function (id) {
      var field = el(id);
      field.select();
      var done = function () { el("copied").textContent = t("copied"); };
      var failed = function () { el("copied").textContent = t("copyFailed"); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(field.value).then(done, failed);
      else failed();
    };
    el("copy-link").addEventListener("click", function () { copyFrom("share-link"); });
    el("copy-embed").addEventListener("click", function () { copyFrom("embed-code"); });
    el("add-district").addEventListener("change", function (ev) {
      var code = ev.target.value;
      if (!code) return;
      var list = chosenDistricts();
      if (!list.length) list = [el("district").value];
      if (list.indexOf(code) < 0) list.push(code);
      writeHash({ district: list.slice(0, MAX_TREND).join(",") });
    });
    el("y-indicator").addEventListener("change", function (ev) { writeHash({ y: ev.target.value }); });
    el("csv").addEventListener("click", function () {
      if (!csvRows || !csvRows.length) return;
      var blob = new Blob([csvText(csvRows)], { type: "text/csv;charset=utf-8" });
      var url = URL.createObjectURL(blob);
      download(fileStem() + ".csv", url);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
    el("kind").addEventListener("change", function (ev) {
      var ind = catalog.byCode[state.indicator];
      var first = ind.slices.filter(function (s) { return s.kind === ev.target.value; })[0];
      writeHash({ kind: ev.target.value, bd: first ? first.bd : "", year: first ? sliceYears(first).pop() : null });
    });
    el("breakdown").addEventListener("change", function (ev) {
      var ind = catalog.byCode[state.indicator];
      var kind = sliceOf(ind).kind;
      var s = ind.slices.filter(function (x) { return x.kind === kind && x.bd === ev.target.value; })[0];
      writeHash({ kind: kind, bd: ev.target.value, year: s ? sliceYears(s).pop() : state.year });
    });
    window.addEventListener("hashchange", render);
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
    setStatus(t("loading"));
    // The catalogue request was started by index.html while this script and the chart library
    // downloaded (one round trip less on a slow link); its answer is read like any other.
    (window.edustatsCatalog ? window.edustatsCatalog.then(answer) : gql(window.edustatsCatalogQuery)).then(function (d) {
      mark("catalogue");
      chartLib().catch(showError);
      catalog = { indicators: d.indicators, districts: d.districts, byCode: {}, districtByCode: {} };
      sources = d.sources;
      d.indicators.forEach(function (i) {
        prepareSlices(i);
        catalog.byCode[i.code] = i;
      });
      // Most covered first: the indicators a newcomer can compare across districts.
      // On a tie: actual values before targets and reported changes, then more years.
      var rank = function (i) { return i.best ? [i.best.districts, i.best.kind === "actual" ? 1 : 0, i.best.years.length] : [-1, 0, 0]; };
      catalog.indicators.sort(function (a, b) {
        var x = rank(a), y = rank(b);
        return y[0] - x[0] || y[1] - x[1] || y[2] - x[2] || a.code.localeCompare(b.code);
      });
      d.districts.forEach(function (x) { catalog.districtByCode[x.code] = x; });
      setStatus("");
      // The first view: the best-covered indicator (the list is sorted that way).
      if (!state.indicator && state.view !== "reports" && state.view !== "source") {
        if (catalog.indicators[0] && catalog.indicators[0].best) { selectIndicator(catalog.indicators[0].code); return; }
      }
      render();
    }, showError);
  }

  start();
})();
