// The draft review page: a client of the public GraphQL API (the review mutations need an
// editor key). No build step: plain ES2017 in one file, like the dashboard.
//
// The editor key is typed by the reviewer and kept in sessionStorage only: never in the URL
// (it would land in the history and in pasted links), gone when the tab closes. The URL hash
// holds what may be shared: the draft id and the language.
(function () {
  "use strict";

  var WORDS = {
    zh: {
      title: "报告审核", dashboard: "统计看板", graphiql: "GraphQL 接口", langButton: "English",
      keyTitle: "编辑密钥", keyHint: "粘贴编辑密钥", useKey: "使用", forgetKey: "清除",
      keyNone: "尚未输入密钥：审核需要编辑（editor）或管理员（admin）密钥。",
      keyOk: "密钥有效（仅保存在本标签页的会话中）。", keyChecking: "正在验证密钥…",
      openDrafts: "未完成的草稿", noDrafts: "没有未完成的草稿。",
      newDraft: "新建草稿", pasteHint: "粘贴报告全文", upload: "或上传文件（.txt .html .docx .pdf .xlsx .xls .csv）",
      districtOpt: "区县（可选）", autoDistrict: "自动（从标题识别）", codeOpt: "来源代码（可选）",
      extract: "提取", extracting: "正在提取…", noText: "请先粘贴报告全文或上传文件。",
      fileRead: function (n, c) { return "已读取 " + n + "（" + c + " 字）。"; },
      fileReady: function (n, b) { return "已选择 " + n + "（" + b + " 字节），提取时作为文件发送。"; },
      loading: "正在加载…", saving: "正在保存…", pickDraft: "选择一个草稿，或新建一个。",
      pending: "待定", accepted: "已接受", rejected: "已拒绝", proposal: "提议", unmatched: "未匹配",
      itemsLeft: function (p, n) { return "待定 " + p + " / 共 " + n + " 项"; },
      help: "j/k 或 ↑/↓ 移动 · a 接受 · r 拒绝 · e 编辑 · u 改回待定 · 未匹配项：c 确认新指标，m 并入已有指标 · Esc 关闭表单",
      bulkLabel: "接受置信度 ≥", bulkAccept: "批量接受待定项", bulkReject: "拒绝其余待定项",
      bulkDone: function (n) { return "已批量处理 " + n + " 项。"; },
      badMin: "置信度须为 0 到 1 之间的数。",
      dryRun: "试运行发布", publish: "发布", publishing: "正在发布…",
      dryOk: function (n, s) { return "试运行通过：将创建来源 " + s + " 及 " + n + " 条观测值。"; },
      newInds: "新指标：", problemsHead: function (n) { return "发布前需解决 " + n + " 个问题："; },
      published: function (n, s) { return "已发布：来源 " + s + "，" + n + " 条观测值。"; },
      openRanking: function (n) { return "在看板中查看「" + n + "」的排名"; },
      // Unit codes in words (a unit the report printed, such as 万元, is shown as printed).
      units: { yuan: "元", person: "人", person_time: "人次", percent: "%", count: "个", square_meter: "平方米", mu: "亩", hour: "小时", minute: "分钟", day: "天", year: "年", ratio: "", times: "倍", score: "分", rank: "位", percentage_point: "个百分点" },
      value: "数值", unit: "单位", indicator: "指标", period: "期间", kind: "类型", breakdown: "分组",
      confidence: "置信度", why: "依据", quote: "原文", cell: "表格单元格", rowHeaders: "行", columnHeaders: "列", note: "备注", decision: "决定", decidedBy: "决定人",
      suggestion: "建议的新指标", confirmed: "已确认的新指标", none: "—", total: "总计",
      editTitle: "编辑并接受", search: "搜索指标", save: "保存并接受", cancel: "取消",
      confirmTitle: "确认为新指标", code: "代码", nameZh: "中文名", nameEn: "英文名", direction: "方向",
      codeAuto: "指标代码将根据英文名自动生成，无需填写。",
      definition: "定义", category: "类别", confirm: "确认", mergeTitle: "并入已有指标", merge: "合并",
      needsIndicator: "未匹配的数值需要一个指标：按 c 确认新指标，或按 m 并入已有指标。",
      readOnly: "此草稿已不在审核中，不能再修改。",
      steps: ["输入编辑密钥", "粘贴或上传报告，点“提取”", "逐项审核：接受、拒绝或修改", "试运行发布，解决所列问题", "发布"],
      stepsLabel: "审核步骤",
      statuses: { OPEN: "审核中", PUBLISHED: "已发布", DISCARDED: "已放弃" },
      discard: "放弃草稿", discardAsk: function (n) { return "放弃草稿 " + n + "？放弃后草稿仍保留记录，但不能再修改或发布。"; },
      discarded: function (n) { return "已放弃草稿 " + n + "。"; },
      decided: function (d, n) { return "已决定 " + d + " / " + n + " 项"; },
      createdOn: function (at) { return "创建于 " + at; },
      repeatFlag: "可能重复", repeatsHead: "注意：这份报告可能已经录入过",
      reasons: { SAME_TEXT: "文本相同", SAME_DOCUMENT_NUMBER: "文号相同" },
      repeatSource: function (code, why) { return "已发布的来源 " + code + "（" + why + "）"; },
      repeatDraft: function (code, why) { return "未完成的草稿 " + code + "（" + why + "）"; },
      repeatBlocks: "数据库中已有这份报告：直接发布会被拒绝，以免同一份报告的数据录入两次。若确认它是另一份报告（如更正版），勾选下方“仍然发布”。",
      repeatOpen: "另一份未完成的草稿是同一份报告：只应发布其中一份，另一份请放弃。",
      allowRepeat: "仍然发布（已确认不是重复的报告）",
      dirs: { HIGHER_IS_BETTER: "越高越好", LOWER_IS_BETTER: "越低越好", NEUTRAL: "无优劣方向" },
      kinds: { ACTUAL: "实际值", TARGET: "目标值", CHANGE: "变化量", GROWTH: "增长率", RANK: "排名" },
      codes: {
        UNAUTHENTICATED: "编辑密钥缺失或无效，请在左上方输入有效的密钥。",
        FORBIDDEN: "该密钥没有编辑权限（需要 editor 或 admin 角色）。",
        CONFLICT: "冲突：", NOT_FOUND: "未找到：", BAD_USER_INPUT: "输入有误：",
        PAYLOAD_TOO_LARGE: "文本太大：", TIMEOUT: "服务器超时：", network: "无法连接服务器：",
        GRAPHQL_VALIDATION_FAILED: "请求无效：", RATE_LIMITED: "请求过于频繁，请稍后重试：", UNAVAILABLE: "数据库暂时不可用：",
        STORAGE_FULL: "存储空间已满，未写入：", READ_ONLY: "数据库只读，未写入：", INTERNAL: "服务器内部错误："
      }
    },
    en: {
      title: "Report review", dashboard: "Dashboard", graphiql: "GraphQL API", langButton: "中文",
      keyTitle: "Editor key", keyHint: "paste an editor key", useKey: "Use", forgetKey: "Forget",
      keyNone: "No key yet: reviewing needs an editor or admin key.",
      keyOk: "Key accepted (kept in this tab's session only).", keyChecking: "Checking the key…",
      openDrafts: "Open drafts", noDrafts: "No open draft.",
      newDraft: "New draft", pasteHint: "paste the report's full text", upload: "or upload a file (.txt .html .docx .pdf .xlsx .xls .csv)",
      districtOpt: "District (optional)", autoDistrict: "automatic (from the title)", codeOpt: "Source code (optional)",
      extract: "Extract", extracting: "Extracting…", noText: "Paste the report's text or upload a file first.",
      fileRead: function (n, c) { return "Read " + n + " (" + c + " characters)."; },
      fileReady: function (n, b) { return "Chose " + n + " (" + b + " bytes); it is sent as a file when you extract."; },
      loading: "Loading…", saving: "Saving…", pickDraft: "Pick a draft, or start a new one.",
      pending: "pending", accepted: "accepted", rejected: "rejected", proposal: "proposal", unmatched: "unmatched",
      itemsLeft: function (p, n) { return p + " pending of " + n + " items"; },
      help: "j/k or ↑/↓ move · a accept · r reject · e edit · u back to pending · unmatched: c confirm a new indicator, m merge into one · Esc closes a form",
      bulkLabel: "Accept at confidence ≥", bulkAccept: "Accept pending", bulkReject: "Reject the rest",
      bulkDone: function (n) { return n + " items decided."; },
      badMin: "The confidence must be a number from 0 to 1.",
      dryRun: "Dry run", publish: "Publish", publishing: "Publishing…",
      dryOk: function (n, s) { return "Dry run passed: would create source " + s + " and " + n + " observations."; },
      newInds: "New indicators: ", problemsHead: function (n) { return n + " problems to solve before publishing:"; },
      published: function (n, s) { return "Published: source " + s + ", " + n + " observations."; },
      openRanking: function (n) { return "See the ranking of “" + n + "” on the dashboard"; },
      units: { yuan: " yuan", person: " people", person_time: " person-times", percent: "%", count: "", square_meter: " m²", mu: " mu", hour: " h", minute: " min", day: " days", year: " years", ratio: "", times: "×", score: " points", rank: "", percentage_point: " pp" },
      value: "Value", unit: "Unit", indicator: "Indicator", period: "Period", kind: "Kind", breakdown: "Breakdown",
      confidence: "Confidence", why: "Why", quote: "Quote", cell: "Table cell", rowHeaders: "row", columnHeaders: "column", note: "Note", decision: "Decision", decidedBy: "Decided by",
      suggestion: "Suggested indicator", confirmed: "Confirmed new indicator", none: "—", total: "total",
      editTitle: "Edit and accept", search: "search indicators", save: "Save and accept", cancel: "Cancel",
      confirmTitle: "Confirm as a new indicator", code: "Code", nameZh: "Chinese name", nameEn: "English name", direction: "Direction",
      codeAuto: "The indicator's code is made from the English name: nothing to type.",
      definition: "Definition", category: "Category", confirm: "Confirm", mergeTitle: "Merge into an existing indicator", merge: "Merge",
      needsIndicator: "A figure without an indicator needs one: press c to confirm a new indicator or m to merge it into one.",
      readOnly: "This draft is no longer under review and cannot change.",
      steps: ["Enter an editor key", "Paste or upload a report, then Extract", "Review each item: accept, reject or edit", "Dry run, and solve the problems it lists", "Publish"],
      stepsLabel: "Review steps",
      statuses: { OPEN: "under review", PUBLISHED: "published", DISCARDED: "discarded" },
      discard: "Discard draft", discardAsk: function (n) { return "Discard draft " + n + "? It stays on record but can no longer change or be published."; },
      discarded: function (n) { return "Draft " + n + " discarded."; },
      decided: function (d, n) { return d + " of " + n + " items decided"; },
      createdOn: function (at) { return "created " + at; },
      repeatFlag: "possible repeat", repeatsHead: "Note: this report may already be recorded",
      reasons: { SAME_TEXT: "same text", SAME_DOCUMENT_NUMBER: "same document number" },
      repeatSource: function (code, why) { return "published source " + code + " (" + why + ")"; },
      repeatDraft: function (code, why) { return "open draft " + code + " (" + why + ")"; },
      repeatBlocks: "The warehouse holds this report already: publishing is refused so that its figures are not recorded twice. If it is a different report (e.g. a corrected edition), tick “publish anyway” below.",
      repeatOpen: "Another open draft holds the same report: publish one of them and discard the other.",
      allowRepeat: "Publish anyway (checked: not the same report)",
      dirs: { HIGHER_IS_BETTER: "higher is better", LOWER_IS_BETTER: "lower is better", NEUTRAL: "no better direction" },
      kinds: { ACTUAL: "actual", TARGET: "target", CHANGE: "change", GROWTH: "growth", RANK: "rank" },
      codes: {
        UNAUTHENTICATED: "The editor key is missing or invalid: enter a valid key at the top left.",
        FORBIDDEN: "This key may not edit (it needs the editor or admin role).",
        CONFLICT: "Conflict: ", NOT_FOUND: "Not found: ", BAD_USER_INPUT: "Invalid input: ",
        PAYLOAD_TOO_LARGE: "Text too large: ", TIMEOUT: "The server timed out: ", network: "Cannot reach the server: ",
        GRAPHQL_VALIDATION_FAILED: "Invalid request: ", RATE_LIMITED: "Too many requests, try again shortly: ", UNAVAILABLE: "The database is unavailable: ",
        STORAGE_FULL: "Storage is full, nothing written: ", READ_ONLY: "The database is read-only, nothing written: ", INTERNAL: "Internal server error: "
      }
    }
  };
  var KEY_STORE = "edustats.editorKey";
  var ITEM = "position type decision value unit quote quoteStart quoteEnd cell { rowHeaders columnHeaders } confidence why whyZh edited decidedBy " +
    "row { indicator period breakdown kind value unit note } suggested { nameZh unit category } " +
    "newIndicator { code nameZh nameEn unit category direction definition }";
  var REPEATS = "repeats { reason source draft code }";
  var DRAFT = "id code district titleZh titleEn kind text status pending total docNumber createdAt " + REPEATS + " items { " + ITEM + " }";

  var lang = "zh";
  var catalog = { indicators: [], byCode: {}, districts: [] };
  var draft = null;        // the draft under review, items by position order
  var selected = 0;        // index into draft.items
  var segments = [];       // the highlighted spans of the text: { node, items, fig }
  var figOf = {};          // position → [start, end) of the figure in the text (code points)
  var pendingFile = null;  // a chosen file other than plain text: { name, data (base64) }
  var dryOk = false;       // publish is offered after a clean dry run of the current decisions
  var openDrafts = null;   // the open drafts as last listed (counts and repeats, no items)
  var busy = false;

  function t(k) { return WORDS[lang][k]; }
  function el(id) { return document.getElementById(id); }
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function key() { return sessionStorage.getItem(KEY_STORE) || ""; }

  // ------------------------------------------------------------------ API
  // Rejects with an Error carrying `code` and `problems` (extensions), so callers can say
  // what went wrong in words and link each problem to its item.
  function gql(query, variables) {
    var headers = { "Content-Type": "application/json" };
    if (key()) headers.Authorization = "Bearer " + key();
    return fetch("/graphql", { method: "POST", headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) })
      .catch(function (e) { var x = new Error(e.message); x.code = "network"; throw x; })
      .then(function (r) {
        return r.json().catch(function () { var x = new Error("HTTP " + r.status); x.code = "network"; throw x; });
      }).then(function (body) {
        if (body.errors && body.errors.length) {
          var e = body.errors[0];
          var err = new Error(e.message);
          err.code = e.extensions && e.extensions.code;
          err.problems = (e.extensions && e.extensions.problems) || [];
          throw err;
        }
        return body.data;
      });
  }
  // What an English error message names, for its Chinese wording: quoted text and code-like
  // words (lower case with - or _ or digits: rongchang-2025-rectification-report, #3).
  function namesIn(message, into) {
    message.replace(/[`"“']([^`"”']{1,80})[`"”']|(#\d+|\b[a-z0-9]+(?:[-_][a-z0-9]+)+\b)/g, function (m, quoted, code) {
      var x = quoted || code;
      if (into.indexOf(x) < 0) into.push(x);
      return m;
    });
  }
  // A unit code in the page's words; anything else as it was printed.
  function unitWord(unit) {
    var u = t("units")[unit];
    return u === undefined ? (unit || "") : u;
  }
  function words(e) {
    var prefix = t("codes")[e.code];
    if (e.code === "UNAUTHENTICATED" || e.code === "FORBIDDEN") return prefix;
    if (lang === "zh") {
      // In Chinese: the sentence of the code and the codes or names the (English) message
      // quotes; the message itself is the status line's tooltip (see fail).
      var named = [];
      namesIn(String(e.message), named);
      return (prefix ? prefix.replace(/：$/, "") : "请求失败") + (named.length ? "：" + named.join("、") : "") +
        (e.code && e.code !== "network" ? "（" + e.code + "）" : "");
    }
    return (prefix || "") + e.message + (e.code && !prefix ? " (" + e.code + ")" : "");
  }
  function setStatus(text, kind) {
    var s = el("status");
    s.textContent = text || "";
    s.className = kind || "";
    s.title = "";
  }
  function fail(e) {
    setStatus(words(e), "error");
    el("status").title = lang === "zh" ? e.message : "";
    if (e.code === "UNAUTHENTICATED" || e.code === "FORBIDDEN") keyState(words(e), true);
    document.body.setAttribute("data-ready", "error");
  }
  function keyState(text, bad) {
    var s = el("key-state");
    s.textContent = text;
    s.className = "note" + (bad ? " error" : "");
  }

  // ------------------------------------------------------------------ names
  function indName(code) {
    var i = catalog.byCode[code];
    if (!i && draft) {
      draft.items.forEach(function (x) { if (x.newIndicator && x.newIndicator.code === code) i = x.newIndicator; });
    }
    if (!i) return code;
    return (lang === "zh" ? i.nameZh : (i.nameEn || i.nameZh)) + " (" + code + ")";
  }
  function itemLabel(it) {
    var ind = it.row ? indName(it.row.indicator) : (it.suggested ? "≈ " + it.suggested.nameZh : "");
    return "#" + it.position + " " + it.value + unitWord(it.unit) + " · " + ind;
  }

  // ------------------------------------------------------------------ the text
  // Quote offsets count characters (Unicode code points), as the server's Rust `chars()`;
  // JavaScript strings count UTF-16 units, so the text is split with Array.from first.
  function isDigit(c) { return c !== undefined && /[0-9０-９.．]/.test(c); }
  function figureSpan(chars, it) {
    var v = Array.from(it.value);
    var best = null;
    for (var s = it.quoteStart; s + v.length <= it.quoteEnd; s++) {
      var ok = true;
      for (var k = 0; k < v.length && ok; k++) ok = chars[s + k] === v[k];
      if (!ok) continue;
      // Prefer a whole number: "3" inside "2023" is not the figure.
      if (!isDigit(chars[s - 1]) && !isDigit(chars[s + v.length])) return [s, s + v.length];
      if (!best) best = [s, s + v.length];
    }
    return best;
  }
  function renderText() {
    var pre = el("text");
    pre.innerHTML = "";
    segments = [];
    figOf = {};
    if (!draft) return;
    var chars = Array.from(draft.text);
    var cuts = [0, chars.length];
    draft.items.forEach(function (it) {
      cuts.push(it.quoteStart, it.quoteEnd);
      var f = figureSpan(chars, it);
      if (f) { figOf[it.position] = f; cuts.push(f[0], f[1]); }
    });
    cuts = cuts.filter(function (c, i) { return cuts.indexOf(c) === i && c >= 0 && c <= chars.length; }).sort(function (a, b) { return a - b; });
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      var text = chars.slice(a, b).join("");
      var covering = draft.items.filter(function (it) { return it.quoteStart <= a && b <= it.quoteEnd; });
      if (!covering.length) { pre.appendChild(document.createTextNode(text)); continue; }
      var fig = covering.filter(function (it) { var f = figOf[it.position]; return f && f[0] <= a && b <= f[1]; })[0] || null;
      var span = h("span", {
        class: "hl",
        "data-items": covering.map(function (it) { return it.position; }).join(" "),
        "data-item": fig ? String(fig.position) : null,
        text: text
      });
      // Positions, not item objects: a decision replaces the item object.
      segments.push({ node: span, items: covering.map(function (x) { return x.position; }), fig: fig ? fig.position : null });
      pre.appendChild(span);
    }
    paintText();
  }
  // Colour by decision and type of the item a span stands for: the figure's own item, else
  // the innermost quote covering it (the one starting last).
  function paintText() {
    if (!draft) return;
    var byPos = {};
    draft.items.forEach(function (x) { byPos[x.position] = x; });
    var cur = draft.items[selected] ? draft.items[selected].position : null;
    segments.forEach(function (s) {
      var it = s.fig !== null ? byPos[s.fig] : s.items.map(function (p) { return byPos[p]; })
        .reduce(function (m, x) { return x.quoteStart > m.quoteStart ? x : m; });
      var cls = "hl d-" + it.decision.toLowerCase() + " t-" + it.type.toLowerCase();
      if (s.fig !== null) cls += " fig";
      if (s.items.indexOf(cur) >= 0) cls += " in-sel";
      if (s.fig === cur) cls += " sel";
      s.node.className = cls;
    });
  }
  function onTextClick(ev) {
    var span = ev.target.closest && ev.target.closest("span.hl");
    if (!span || !draft) return;
    var pos = span.getAttribute("data-item");
    if (!pos) {
      // A clause shared by several figures: each click selects the next of them.
      var list = span.getAttribute("data-items").split(" ").map(Number);
      var cur = draft.items[selected] && draft.items[selected].position;
      var at = list.indexOf(cur);
      pos = list[(at + 1) % list.length];
    }
    select(indexOf(Number(pos)), false);
  }

  // ------------------------------------------------------------------ items
  function indexOf(position) {
    for (var i = 0; i < draft.items.length; i++) if (draft.items[i].position === position) return i;
    return -1;
  }
  function renderItems() {
    var ul = el("items");
    ul.innerHTML = "";
    if (!draft) return;
    draft.items.forEach(function (it, i) {
      var conf = it.confidence === null ? "" : it.confidence.toFixed(2);
      ul.appendChild(h("li", {
        role: "option", "data-pos": String(it.position), "data-decision": it.decision, "data-type": it.type,
        class: "d-" + it.decision.toLowerCase() + " t-" + it.type.toLowerCase(),
        "aria-selected": String(i === selected),
        onclick: function () { select(i, true); }
      }, [
        h("span", { class: "badge", text: t(it.decision.toLowerCase()) }),
        h("span", { class: "label", text: itemLabel(it) }),
        h("span", { class: "conf", text: conf })
      ]));
    });
  }
  function cellText(c) {
    var part = function (name, list) { return list.length ? t(name) + "：" + list.join(" · ") : null; };
    return [part("rowHeaders", c.rowHeaders), part("columnHeaders", c.columnHeaders)]
      .filter(function (x) { return x; }).join("；");
  }
  function renderDetail() {
    var box = el("detail");
    box.innerHTML = "";
    if (!draft || !draft.items.length) return;
    var it = draft.items[selected];
    var r = it.row;
    var rows = [
      [t("decision"), t(it.decision.toLowerCase()) + " · " + t(it.type.toLowerCase()) + (it.decidedBy ? " · " + t("decidedBy") + " " + it.decidedBy : "")],
      [t("value"), it.value + unitWord(it.unit) + (r && (r.value !== it.value || r.unit !== it.unit) ? " → " + r.value + unitWord(r.unit) : "")],
      [t("indicator"), r ? indName(r.indicator) : t("none")],
      [t("period"), r ? r.period : t("none")],
      [t("kind"), r ? (t("kinds")[r.kind] || r.kind) : t("none")],
      [t("breakdown"), r ? (r.breakdown || t("total")) : t("none")],
      [t("confidence"), it.confidence === null ? t("none") : it.confidence.toFixed(2)],
      // The server words the reasons in both languages (whyZh: codes and numbers only in ASCII).
      [t("why"), lang === "zh" ? (it.whyZh || it.why) : it.why, "why"],
      [t("quote"), it.quote]
    ];
    // A figure read from a table: the headers it is filed under, beside the quote.
    if (it.cell) rows.push([t("cell"), cellText(it.cell)]);
    if (r && r.note) rows.push([t("note"), r.note]);
    if (it.suggested) rows.push([t("suggestion"), it.suggested.nameZh + " · " + (unitWord(it.suggested.unit).trim() || it.suggested.unit) + (it.suggested.category ? " · " + it.suggested.category : "")]);
    if (it.newIndicator) rows.push([t("confirmed"), it.newIndicator.code + " · " + it.newIndicator.nameZh + " / " + it.newIndicator.nameEn]);
    var dl = h("dl", {});
    rows.forEach(function (p) { dl.appendChild(h("dt", { text: p[0] })); dl.appendChild(h("dd", { text: p[1], "data-field": p[2] || null })); });
    box.appendChild(dl);
  }
  function select(i, scrollText) {
    if (!draft || i < 0 || i >= draft.items.length) return;
    selected = i;
    closeForm();
    Array.prototype.forEach.call(el("items").children, function (li, k) { li.setAttribute("aria-selected", String(k === i)); });
    var li = el("items").children[i];
    if (li) li.scrollIntoView({ block: "nearest" });
    paintText();
    renderDetail();
    var pos = draft.items[i].position;
    document.body.setAttribute("data-selected", String(pos));
    if (scrollText !== false) {
      var target = el("text").querySelector("span.sel") || el("text").querySelector("span.in-sel");
      var pre = el("text");
      // Scroll the text box only, and only when the figure is out of sight.
      if (target && (target.offsetTop < pre.scrollTop || target.offsetTop > pre.scrollTop + pre.clientHeight - 20)) {
        pre.scrollTop = Math.max(0, target.offsetTop - pre.clientHeight / 3);
      }
    }
  }
  function replaceItems(list) {
    list.forEach(function (n) {
      var i = indexOf(n.position);
      if (i >= 0) draft.items[i] = n;
    });
    draft.pending = draft.items.filter(function (x) { return x.decision === "PENDING"; }).length;
    dryOk = false;
    el("publish").disabled = true;
    el("publish-result").innerHTML = "";
    renderItems();
    renderHead();
    select(selected, false);
    loadDrafts(); // the open-drafts list shows the pending counts
  }
  function districtName(code) {
    var d = catalog.districts.filter(function (x) { return x.code === code; })[0];
    return d ? (lang === "zh" ? d.nameZh : d.nameEn) : code;
  }
  function repeatText(r) {
    var why = t("reasons")[r.reason] || r.reason;
    return r.source ? t("repeatSource")(r.source, why) : t("repeatDraft")("#" + r.draft + " " + r.code, why);
  }
  // What the open draft repeats, above its text: a source of the warehouse (publishing is
  // refused unless the reviewer ticks "publish anyway") or another open draft.
  function renderRepeats() {
    var box = el("repeats");
    var allow = el("allow-repeat");
    box.innerHTML = "";
    var list = draft && draft.status === "OPEN" ? (draft.repeats || []) : [];
    var ofSource = list.some(function (r) { return r.source; });
    el("allow-repeat-label").hidden = !ofSource;
    if (!ofSource) allow.checked = false;
    if (!list.length) { box.hidden = true; document.body.removeAttribute("data-repeats"); return; }
    box.hidden = false;
    box.appendChild(h("strong", { text: "⚠ " + t("repeatsHead") }));
    box.appendChild(h("ul", {}, list.map(function (r) {
      if (r.source) return h("li", { "data-source": r.source, text: repeatText(r) });
      return h("li", { "data-draft": String(r.draft) }, [h("a", { href: "#draft=" + r.draft + (lang === "en" ? "&lang=en" : ""), text: repeatText(r) })]);
    })));
    box.appendChild(h("p", { text: ofSource ? t("repeatBlocks") : t("repeatOpen") }));
    document.body.setAttribute("data-repeats", String(list.length));
  }
  function renderHead() {
    if (!draft) {
      el("draft-title").textContent = t("pickDraft");
      el("draft-meta").textContent = "";
      renderRepeats();
      renderSteps();
      return;
    }
    el("draft-title").textContent = (lang === "zh" ? draft.titleZh : draft.titleEn) || draft.code;
    renderRepeats();
    el("draft-meta").textContent = "#" + draft.id + " · " + draft.code + " · " + districtName(draft.district) + (draft.docNumber ? " · " + draft.docNumber : "") + " · " + (t("statuses")[draft.status] || draft.status) + " · " + t("itemsLeft")(draft.pending, draft.items.length);
    var legend = el("legend");
    legend.innerHTML = "";
    [["d-pending t-proposal", t("pending")], ["d-accepted t-proposal", t("accepted")], ["d-rejected t-proposal", t("rejected")], ["d-pending t-unmatched", t("unmatched")]].forEach(function (p) {
      legend.appendChild(h("span", { class: "hl fig " + p[0], text: p[1] }));
    });
    renderSteps();
  }
  // The steps of a review, with the one the reviewer is at marked (aria-current), and the
  // actions that cannot apply now disabled: nothing to dry-run or discard without an open
  // draft, nothing to publish before a clean dry run.
  function renderSteps() {
    var at = !key() ? 0 : !draft || draft.status !== "OPEN" ? 1 : draft.pending > 0 ? 2 : dryOk ? 4 : 3;
    var ol = el("steps");
    ol.innerHTML = "";
    ol.setAttribute("aria-label", t("stepsLabel"));
    t("steps").forEach(function (s, i) {
      var li = h("li", { text: s, class: i < at ? "done" : i === at ? "current" : null });
      if (i === at) li.setAttribute("aria-current", "step");
      ol.appendChild(li);
    });
    var open = !!draft && draft.status === "OPEN";
    ["dry-run", "bulk-accept", "bulk-reject", "discard"].forEach(function (id) { el(id).disabled = !open; });
    if (!open || !dryOk) el("publish").disabled = true;
    document.body.setAttribute("data-step", String(at + 1));
  }
  function discard() {
    if (!editable()) return;
    if (!window.confirm(t("discardAsk")("#" + draft.id))) return;
    var id = draft.id;
    run(gql("mutation($d: Int!) { discardDraft(draft: $d) { id status } }", { d: id }), function (d) {
      draft.status = d.discardDraft.status;
      dryOk = false;
      renderHead();
      renderItems();
      setStatus(t("discarded")("#" + id), "ok");
      document.body.setAttribute("data-discarded", String(id));
      loadDrafts();
    });
  }
  function editable() {
    if (draft && draft.status !== "OPEN") { setStatus(t("readOnly"), "error"); return false; }
    return !!draft && !busy;
  }

  // ------------------------------------------------------------------ decisions
  var DECIDE = "mutation($d: Int!, $i: Int!, $x: DraftDecision!, $e: DraftEdit) { decideProposal(draft: $d, item: $i, decision: $x, edit: $e) { " + ITEM + " } }";
  function run(promise, after) {
    busy = true;
    setStatus(t("saving"), "busy");
    document.body.setAttribute("data-busy", "1");
    return promise.then(function (res) {
      busy = false;
      document.body.removeAttribute("data-busy");
      setStatus("");
      after(res);
    }, function (e) {
      busy = false;
      document.body.removeAttribute("data-busy");
      fail(e);
    });
  }
  function decide(decision, edit, advance) {
    if (!editable()) return;
    var it = draft.items[selected];
    if (decision === "ACCEPTED" && !it.row && !edit) { setStatus(t("needsIndicator"), "error"); return; }
    run(gql(DECIDE, { d: draft.id, i: it.position, x: decision, e: edit || null }), function (d) {
      replaceItems([d.decideProposal]);
      // After a decision the next item is the one to read.
      if (advance && selected + 1 < draft.items.length) select(selected + 1);
    });
  }
  function bulk(decision) {
    if (!editable()) return;
    var vars = { d: draft.id, x: decision };
    var q;
    if (decision === "ACCEPTED") {
      vars.m = parseFloat(el("bulk-min").value);
      // An empty or bad box must not become "no threshold" (accept everything).
      if (!isFinite(vars.m) || vars.m < 0 || vars.m > 1) { setStatus(t("badMin"), "error"); return; }
      q = "mutation($d: Int!, $x: DraftDecision!, $m: Float) { decidePending(draft: $d, decision: $x, minConfidence: $m) { " + ITEM + " } }";
    } else {
      q = "mutation($d: Int!, $x: DraftDecision!) { decidePending(draft: $d, decision: $x, unmatched: true) { " + ITEM + " } }";
    }
    run(gql(q, vars), function (d) {
      replaceItems(d.decidePending);
      setStatus(t("bulkDone")(d.decidePending.length), "ok");
    });
  }

  // ------------------------------------------------------------------ forms
  function closeForm() { el("form").innerHTML = ""; el("form").className = "form"; }
  function field(label, input) { return h("label", {}, [h("span", { text: label }), input]); }
  // A search box over the catalogue (and this draft's confirmed indicators) with a list.
  function indicatorPicker(current) {
    var search = h("input", { type: "search", placeholder: t("search"), autocomplete: "off", class: "ind-search" });
    var list = h("select", { size: "5", class: "ind-list" });
    function all() {
      var extra = [];
      draft.items.forEach(function (x) { if (x.newIndicator) extra.push(x.newIndicator); });
      return catalog.indicators.concat(extra);
    }
    function fill() {
      var q = search.value.trim().toLowerCase();
      list.innerHTML = "";
      all().filter(function (i) {
        return !q || i.code.toLowerCase().indexOf(q) >= 0 || i.nameZh.indexOf(search.value.trim()) >= 0 || (i.nameEn || "").toLowerCase().indexOf(q) >= 0;
      }).slice(0, 200).forEach(function (i) {
        list.appendChild(h("option", { value: i.code, text: i.nameZh + " · " + i.code }));
      });
      if (current && Array.prototype.some.call(list.options, function (o) { return o.value === current; })) list.value = current;
      else if (list.options.length) list.selectedIndex = 0;
    }
    search.addEventListener("input", function () { current = null; fill(); });
    fill();
    if (current) list.value = current;
    return { search: search, list: list, value: function () { return list.value; } };
  }
  function openForm(title, body, submitLabel, onSubmit) {
    var box = el("form");
    box.innerHTML = "";
    box.className = "form open";
    var form = h("form", {}, [h("h3", { text: title })].concat(body).concat([
      h("div", { class: "buttons" }, [h("button", { type: "submit", text: submitLabel }), h("button", { type: "button", text: t("cancel"), onclick: closeForm })])
    ]));
    form.addEventListener("submit", function (ev) { ev.preventDefault(); onSubmit(); });
    form.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { ev.preventDefault(); closeForm(); el("items").focus(); } });
    box.appendChild(form);
    var first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  }
  function editForm() {
    if (!editable()) return;
    var it = draft.items[selected];
    if (!it.row) { confirmForm(); return; }
    var r = it.row;
    var picker = indicatorPicker(r.indicator);
    var inputs = {
      period: h("input", { type: "text", value: r.period }),
      kind: h("select", {}, Object.keys(t("kinds")).map(function (k) { return h("option", { value: k, text: t("kinds")[k] + " (" + k + ")" }); })),
      breakdown: h("input", { type: "text", value: r.breakdown || "", placeholder: "dimension=member" }),
      value: h("input", { type: "text", value: r.value }),
      unit: h("input", { type: "text", value: r.unit }),
      note: h("input", { type: "text", value: r.note || "" })
    };
    inputs.kind.value = r.kind;
    openForm(t("editTitle") + " #" + it.position, [
      field(t("indicator"), picker.search), picker.list,
      h("div", { class: "grid2" }, [field(t("period"), inputs.period), field(t("kind"), inputs.kind),
        field(t("value"), inputs.value), field(t("unit"), inputs.unit)]),
      field(t("breakdown"), inputs.breakdown), field(t("note"), inputs.note)
    ], t("save"), function () {
      // Only what changed is sent: an untouched field stays as extracted.
      var edit = {};
      if (picker.value() && picker.value() !== r.indicator) edit.indicator = picker.value();
      ["period", "kind", "breakdown", "value", "unit", "note"].forEach(function (k) {
        var v = inputs[k].value;
        if (v !== (r[k] || "")) edit[k] = v;
      });
      decide("ACCEPTED", Object.keys(edit).length ? edit : null, false);
    });
  }
  function confirmForm() {
    if (!editable()) return;
    var it = draft.items[selected];
    if (it.type !== "UNMATCHED") { editForm(); return; }
    var s = it.suggested || { nameZh: "", unit: "", category: "" };
    // No code to type: the server derives it from the English name (confirmIndicator
    // without `code`), so the reviewer only reads or edits the suggested names.
    var inputs = {
      nameZh: h("input", { type: "text", value: s.nameZh, required: "required", name: "nameZh" }),
      nameEn: h("input", { type: "text", required: "required", name: "nameEn" }),
      direction: h("select", {}, ["HIGHER_IS_BETTER", "LOWER_IS_BETTER", "NEUTRAL"].map(function (d) { return h("option", { value: d, text: t("dirs")[d] }); })),
      definition: h("input", { type: "text" }),
      unit: h("input", { type: "text", value: s.unit }),
      category: h("input", { type: "text", value: s.category })
    };
    inputs.direction.value = "NEUTRAL";
    openForm(t("confirmTitle") + " #" + it.position, [
      field(t("nameZh"), inputs.nameZh), field(t("nameEn"), inputs.nameEn), h("p", { class: "note code-auto", text: t("codeAuto") }),
      field(t("direction"), inputs.direction), field(t("definition"), inputs.definition),
      h("div", { class: "grid2" }, [field(t("unit"), inputs.unit), field(t("category"), inputs.category)])
    ], t("confirm"), function () {
      var v = {};
      Object.keys(inputs).forEach(function (k) { v[k] = inputs[k].value.trim(); });
      var q = "mutation($d: Int!, $i: Int!, $nameEn: String!, $direction: Direction!, $definition: String!, $nameZh: String, $unit: String, $category: String) { " +
        "confirmIndicator(draft: $d, item: $i, nameEn: $nameEn, direction: $direction, definition: $definition, nameZh: $nameZh, unit: $unit, category: $category) { " + ITEM + " } }";
      run(gql(q, { d: draft.id, i: it.position, nameEn: v.nameEn, direction: v.direction, definition: v.definition,
        nameZh: v.nameZh || null, unit: v.unit || null, category: v.category || null }), function (d) { replaceItems([d.confirmIndicator]); });
    });
  }
  function mergeForm() {
    if (!editable()) return;
    var it = draft.items[selected];
    if (it.type !== "UNMATCHED") { editForm(); return; }
    var picker = indicatorPicker(null);
    if (it.suggested) { picker.search.value = it.suggested.nameZh.slice(-4); picker.search.dispatchEvent(new Event("input")); }
    openForm(t("mergeTitle") + " #" + it.position, [field(t("indicator"), picker.search), picker.list], t("merge"), function () {
      var q = "mutation($d: Int!, $i: Int!, $into: String!) { mergeIndicator(draft: $d, item: $i, into: $into) { " + ITEM + " } }";
      run(gql(q, { d: draft.id, i: it.position, into: picker.value() }), function (d) { replaceItems([d.mergeIndicator]); });
    });
  }

  // ------------------------------------------------------------------ publish
  var PUBLISH = "mutation($d: Int!, $dry: Boolean!, $allow: Boolean!) { publishDraft(draft: $d, dryRun: $dry, allowRepeat: $allow) { dryRun sourceCreated created } }";
  function newIndicators() {
    return draft.items.filter(function (x) { return x.decision === "ACCEPTED" && x.newIndicator; }).map(function (x) { return x.newIndicator.code; });
  }
  function showProblems(e) {
    var box = el("publish-result");
    box.innerHTML = "";
    if (!e.problems || !e.problems.length) { fail(e); return; }
    setStatus("");
    box.className = "publish-result error";
    box.appendChild(h("p", { text: t("problemsHead")(e.problems.length) }));
    var ul = h("ul", { id: "problems" });
    e.problems.forEach(function (p) {
      var m = /^items\[(\d+)\]$/.exec(p.path || "");
      // In Chinese the server's messageZh (it names the field when it matters); the field
      // code is for the English reader who knows the import format.
      var text = lang === "zh" ? (p.messageZh || p.message) : (p.field ? "[" + p.field + "] " : "") + p.message;
      if (m) {
        var pos = Number(m[1]);
        // The link says which item; the Chinese message's own 第 N 项 would say it twice.
        if (lang === "zh") text = text.replace(new RegExp("^第\\s*" + pos + "\\s*项"), "").replace(/^[：:，,]\s*/, "");
        ul.appendChild(h("li", {}, [h("a", { href: "#", "data-pos": String(pos), text: "#" + pos, onclick: function (ev) {
          ev.preventDefault(); select(indexOf(pos)); el("items").focus();
        } }), " " + text]));
      } else ul.appendChild(h("li", { text: (p.path ? p.path + " " : "") + text }));
    });
    box.appendChild(ul);
    box.scrollIntoView({ block: "nearest" });
  }
  function dryRun() {
    if (!editable()) return;
    run(gql(PUBLISH, { d: draft.id, dry: true, allow: el("allow-repeat").checked }).then(function (d) { return { ok: d }; }, function (e) {
      if (e.problems && e.problems.length) return { problems: e };
      throw e;
    }), function (res) {
      var box = el("publish-result");
      box.innerHTML = "";
      if (res.problems) { dryOk = false; el("publish").disabled = true; showProblems(res.problems); document.body.setAttribute("data-dry-run", "problems"); return; }
      var r = res.ok.publishDraft;
      dryOk = true;
      renderSteps();
      el("publish").disabled = false;
      box.className = "publish-result ok";
      box.appendChild(h("p", { text: t("dryOk")(r.created.length, r.sourceCreated || draft.code) }));
      var ni = newIndicators();
      if (ni.length) box.appendChild(h("p", { text: t("newInds") + ni.join(", ") }));
      box.scrollIntoView({ block: "nearest" });
      document.body.setAttribute("data-dry-run", "ok");
    });
  }
  function publish() {
    if (!editable() || !dryOk) return;
    setStatus(t("publishing"), "busy");
    run(gql(PUBLISH, { d: draft.id, dry: false, allow: el("allow-repeat").checked }).then(function (d) { return { ok: d }; }, function (e) {
      if (e.problems && e.problems.length) return { problems: e };
      throw e;
    }), function (res) {
      if (res.problems) { showProblems(res.problems); return; }
      var r = res.ok.publishDraft;
      draft.status = "PUBLISHED";
      el("publish").disabled = true;
      renderHead();
      var box = el("publish-result");
      box.innerHTML = "";
      box.className = "publish-result ok";
      box.appendChild(h("p", { text: t("published")(r.created.length, r.sourceCreated || draft.code) }));
      // A deep link to one published figure's ranking: an actual value if there is one.
      var acc = draft.items.filter(function (x) { return x.decision === "ACCEPTED" && x.row; });
      var pick = acc.filter(function (x) { return x.row.kind === "ACTUAL"; })[0] || acc[0];
      if (pick) {
        var year = parseInt(pick.row.period.slice(0, 4), 10);
        var href = "/#view=ranking&indicator=" + encodeURIComponent(pick.row.indicator) + (year ? "&year=" + year : "") + (lang === "en" ? "&lang=en" : "");
        box.appendChild(h("a", { id: "ranking-link", href: href, text: t("openRanking")(indName(pick.row.indicator)) }));
      }
      box.scrollIntoView({ block: "nearest" });
      document.body.setAttribute("data-published", String(r.created.length));
      loadDrafts();
    });
  }

  // ------------------------------------------------------------------ drafts
  // Every open draft: what it is, how far its review has come (decided of all items, as a
  // bar), and whether it repeats a report already recorded. Counts only: no items are loaded.
  function loadDrafts() {
    var ul = el("drafts");
    if (!key()) { openDrafts = null; ul.innerHTML = ""; keyState(t("keyNone"), true); return Promise.resolve(); }
    keyState(t("keyChecking"));
    return gql("{ drafts(status: OPEN) { id code district titleZh titleEn createdAt pending total " + REPEATS + " } }").then(function (d) {
      keyState(t("keyOk"));
      renderSteps();
      openDrafts = d.drafts;
      renderDrafts();
    }, function (e) { openDrafts = null; ul.innerHTML = ""; keyState(words(e), true); });
  }
  function renderDrafts() {
    var ul = el("drafts");
    if (!openDrafts) return;
    ul.innerHTML = "";
    if (!openDrafts.length) ul.appendChild(h("li", { class: "note", text: t("noDrafts") }));
    openDrafts.forEach(function (x) {
        var decided = x.total - x.pending;
        var flag = x.repeats.length ? h("span", { class: "repeat-flag", title: x.repeats.map(repeatText).join("；"), text: "⚠ " + t("repeatFlag") }) : null;
        ul.appendChild(h("li", { "data-draft": String(x.id), "data-repeats": String(x.repeats.length), class: draft && draft.id === x.id ? "current" : null }, [
          h("a", { href: "#draft=" + x.id + (lang === "en" ? "&lang=en" : ""), "data-draft": String(x.id),
            text: "#" + x.id + " " + ((lang === "zh" ? x.titleZh : x.titleEn) || x.code) }),
          flag,
          h("span", { class: "note meta", text: x.code + " · " + districtName(x.district) + " · " + t("createdOn")(x.createdAt.slice(0, 10)) }),
          h("span", { class: "progress-line" }, [
            h("progress", { max: String(Math.max(x.total, 1)), value: String(x.total ? decided : 0), "aria-label": t("decided")(decided, x.total) }),
            h("span", { class: "note", text: t("decided")(decided, x.total) })
          ])
        ]));
    });
    document.body.setAttribute("data-drafts", String(openDrafts.length));
  }
  function openDraft(id) {
    if (!key()) { keyState(t("keyNone"), true); setStatus(t("keyNone"), "error"); return; }
    setStatus(t("loading"), "busy");
    document.body.removeAttribute("data-ready");
    gql("query($id: Int!) { draft(id: $id) { " + DRAFT + " } }", { id: id }).then(function (d) {
      showDraft(d.draft);
    }, fail);
  }
  function showDraft(d) {
    draft = d;
    selected = 0;
    dryOk = false;
    el("allow-repeat").checked = false;
    renderDrafts();
    el("publish").disabled = true;
    el("publish-result").innerHTML = "";
    document.body.removeAttribute("data-dry-run");
    document.body.removeAttribute("data-published");
    renderHead();
    renderText();
    renderItems();
    setStatus("");
    if (draft.items.length) select(0);
    document.body.setAttribute("data-ready", "draft");
    el("items").focus();
  }
  function extract() {
    if (busy) return;
    var text = el("new-text").value;
    var file = pendingFile;
    if (!file && !text.trim()) { setStatus(t("noText"), "error"); return; }
    if (!key()) { keyState(t("keyNone"), true); setStatus(t("keyNone"), "error"); return; }
    // A file other than plain text goes to the server as it is (base64): the server
    // recognises its format and reads it.
    var q = file
      ? "mutation($file: String!, $fileName: String, $district: String, $code: String) { extractReport(file: $file, fileName: $fileName, district: $district, code: $code) { " + DRAFT + " } }"
      : "mutation($text: String!, $district: String, $code: String) { extractReport(text: $text, district: $district, code: $code) { " + DRAFT + " } }";
    var vars = { district: el("new-district").value || null, code: el("new-code").value.trim() || null };
    if (file) { vars.file = file.data; vars.fileName = file.name; } else { vars.text = text; }
    busy = true;
    el("extract").disabled = true;
    setStatus(t("extracting"), "busy");
    document.body.removeAttribute("data-ready");
    gql(q, vars).then(function (d) {
      busy = false;
      el("extract").disabled = false;
      el("new-text").value = "";
      pendingFile = null;
      el("new-file").value = "";
      el("new-code").value = "";
      // The hash names the draft, so a reload resumes it; showDraft draws it at once.
      history.replaceState(null, "", "#draft=" + d.extractReport.id + (lang === "en" ? "&lang=en" : ""));
      showDraft(d.extractReport);
      loadDrafts();
    }, function (e) { busy = false; el("extract").disabled = false; fail(e); });
  }

  // ------------------------------------------------------------------ page
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    return { draft: p.get("draft") ? parseInt(p.get("draft"), 10) : null, lang: p.get("lang") === "en" ? "en" : "zh" };
  }
  function applyWords() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title") + " · edustats";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (e) { e.textContent = t(e.getAttribute("data-i18n")); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (e) { e.placeholder = t(e.getAttribute("data-i18n-placeholder")); });
    el("lang-toggle").textContent = t("langButton");
    el("help").textContent = t("help");
    renderSteps();
    var ds = el("new-district");
    var keep = ds.value;
    ds.innerHTML = "";
    ds.appendChild(h("option", { value: "", text: t("autoDistrict") }));
    catalog.districts.forEach(function (d) { ds.appendChild(h("option", { value: d.code, text: (lang === "zh" ? d.nameZh : d.nameEn) + " " + d.code })); });
    ds.value = keep;
  }
  function onHash() {
    var s = readHash();
    var langChanged = s.lang !== lang;
    lang = s.lang;
    applyWords();
    if (s.draft && (!draft || draft.id !== s.draft)) openDraft(s.draft);
    else if (draft && langChanged) { renderHead(); renderItems(); select(selected, false); }
    else if (!draft) renderHead();
    if (langChanged) loadDrafts();
  }
  function onKey(ev) {
    var tag = ev.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!draft) return;
    var k = ev.key;
    var acts = {
      j: function () { select(selected + 1); }, ArrowDown: function () { select(selected + 1); },
      k: function () { select(selected - 1); }, ArrowUp: function () { select(selected - 1); },
      a: function () { if (!draft.items[selected].row) { setStatus(t("needsIndicator"), "error"); return; } decide("ACCEPTED", null, true); },
      r: function () { decide("REJECTED", null, true); },
      u: function () { decide("PENDING", null, false); },
      e: editForm, c: confirmForm, m: mergeForm,
      Escape: closeForm
    };
    if (acts[k]) { ev.preventDefault(); acts[k](); }
  }
  function start() {
    var s = readHash();
    lang = s.lang;
    applyWords();
    renderHead();
    el("key-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = el("key").value.trim();
      if (v) sessionStorage.setItem(KEY_STORE, v); else sessionStorage.removeItem(KEY_STORE);
      el("key").value = "";
      loadDrafts();
      if (readHash().draft && !draft) openDraft(readHash().draft);
    });
    el("forget-key").addEventListener("click", function () { sessionStorage.removeItem(KEY_STORE); loadDrafts(); });
    el("new-form").addEventListener("submit", function (ev) { ev.preventDefault(); extract(); });
    el("new-file").addEventListener("change", function (ev) {
      var f = ev.target.files && ev.target.files[0];
      pendingFile = null;
      if (!f) return;
      var reader = new FileReader();
      reader.onerror = function () { setStatus(t("codes").network + f.name, "error"); };
      if (/^text\/plain/.test(f.type) || /\.txt$/i.test(f.name)) {
        reader.onload = function () { el("new-text").value = String(reader.result); setStatus(t("fileRead")(f.name, Array.from(String(reader.result)).length)); };
        reader.readAsText(f, "utf-8");
        return;
      }
      reader.onload = function () {
        var url = String(reader.result);
        pendingFile = { name: f.name, data: url.slice(url.indexOf(",") + 1) };
        el("new-text").value = "";
        setStatus(t("fileReady")(f.name, f.size));
      };
      reader.readAsDataURL(f);
    });
    // Typing a text replaces a chosen file.
    el("new-text").addEventListener("input", function () { if (pendingFile) { pendingFile = null; el("new-file").value = ""; } });
    el("lang-toggle").addEventListener("click", function () {
      var p = new URLSearchParams(location.hash.replace(/^#/, ""));
      if (lang === "zh") p.set("lang", "en"); else p.delete("lang");
      if (draft) p.set("draft", String(draft.id));
      location.hash = "#" + p.toString();
    });
    el("text").addEventListener("click", onTextClick);
    el("items").setAttribute("tabindex", "0");
    el("bulk-accept").addEventListener("click", function () { bulk("ACCEPTED"); });
    el("bulk-reject").addEventListener("click", function () { bulk("REJECTED"); });
    el("dry-run").addEventListener("click", dryRun);
    // A dry run holds for the choice it was made with.
    el("allow-repeat").addEventListener("change", function () { dryOk = false; el("publish").disabled = true; el("publish-result").innerHTML = ""; document.body.removeAttribute("data-dry-run"); });
    el("publish").addEventListener("click", publish);
    el("discard").addEventListener("click", discard);
    document.addEventListener("keydown", onKey);
    window.addEventListener("hashchange", onHash);
    loadDrafts();
    // The catalogue (public) for names and the indicator picker.
    gql("{ indicators { code nameZh nameEn unit category } districts { code nameZh nameEn level } }").then(function (d) {
      catalog.indicators = d.indicators;
      d.indicators.forEach(function (i) { catalog.byCode[i.code] = i; });
      catalog.districts = d.districts.filter(function (x) { return x.level !== "municipality"; });
      applyWords();
      renderDrafts(); // district names, now that they are known
      if (s.draft && key()) openDraft(s.draft);
      else document.body.setAttribute("data-ready", "start");
    }, fail);
  }

  start();
})();
