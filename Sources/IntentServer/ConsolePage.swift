/// The console: one page, its HTML, CSS and JavaScript inline (no CDN, no build step), served
/// by `GET /console`. It polls the JSON API (`/v1/stats`, `/match`, `/v1/conversations`) with the
/// token the user signs in with; everything it shows from the API is inserted as text, never
/// as markup (customers' messages are untrusted).
enum ConsolePage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>IntentService console</title>
        <style>
        :root { --bg: #fbfbfd; --fg: #1d1d24; --muted: #5d5d6b; --card: #ffffff; --line: #dcdce4; --accent: #2357d9;
          --matched: #2e8b57; --keyword: #3b6fd8; --ambiguous: #d08a00; --unmatched: #c0392b; color-scheme: light dark; }
        @media (prefers-color-scheme: dark) { :root { --bg: #15151a; --fg: #ececf1; --muted: #a3a3b2; --card: #1f1f27;
          --line: #34343f; --accent: #7aa2ff; --matched: #4fc88a; --keyword: #7aa2ff; --ambiguous: #f0b43c; --unmatched: #ff7a6b; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif; background: var(--bg); color: var(--fg); }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.1rem; margin: 0; }
        header .meta { color: var(--muted); font-size: .85rem; }
        header .spacer { flex: 1; }
        main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
        [role=tablist] { display: flex; gap: .3rem; flex-wrap: wrap; margin-bottom: 1rem; }
        button, input, textarea { font: inherit; color: inherit; }
        button { background: var(--card); border: 1px solid var(--line); border-radius: .45rem; padding: .35rem .8rem; cursor: pointer; }
        button:hover { border-color: var(--accent); }
        button:focus-visible, input:focus-visible, textarea:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        [role=tab][aria-selected=true] { background: var(--accent); color: var(--bg); border-color: var(--accent); }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .7rem; margin-bottom: 1rem; }
        .card, section.panel { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .8rem 1rem; }
        .card .n { font-size: 1.5rem; font-weight: 600; }
        .card .l { color: var(--muted); font-size: .85rem; }
        section.panel { margin-bottom: 1rem; overflow-x: auto; }
        section.panel h2 { font-size: 1rem; margin: 0 0 .6rem; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        svg { display: block; max-width: 100%; height: auto; }
        .legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .85rem; color: var(--muted); margin: .3rem 0; }
        .swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: .2rem; margin-right: .3rem; vertical-align: -1px; }
        .muted { color: var(--muted); }
        .error { color: var(--unmatched); }
        textarea { width: 100%; min-height: 4.5rem; background: var(--card); border: 1px solid var(--line); border-radius: .45rem; padding: .5rem; }
        input { background: var(--card); border: 1px solid var(--line); border-radius: .45rem; padding: .35rem .6rem; }
        input[type=password] { width: min(28rem, 100%); }
        article.cluster { border-top: 1px solid var(--line); padding: .6rem 0; }
        article.cluster h3, section.panel h3 { font-size: .95rem; margin: .3rem 0; }
        article.cluster[data-done] { opacity: .55; }
        article.cluster textarea { min-height: 2.5rem; flex: 1 1 16rem; }
        .row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin: .5rem 0; }
        details summary { cursor: pointer; color: var(--muted); margin-top: .4rem; }
        .badge { border-radius: 1rem; padding: .05rem .55rem; font-size: .8rem; border: 1px solid var(--line); }
        [hidden] { display: none !important; }
        </style>
        </head>
        <body>
        <header>
          <h1>IntentService</h1>
          <span class="meta" id="corpus-version">corpus …</span>
          <span class="spacer"></span>
          <span class="meta" id="refreshed"></span>
          <button type="button" id="signout" hidden>Sign out</button>
        </header>
        <main>
          <section class="panel" id="signin" hidden aria-labelledby="signin-title">
            <h2 id="signin-title">Sign in</h2>
            <p class="muted">Paste the console token (<code>INTENT_CONSOLE_TOKEN</code>) or the admin token. It stays in this tab only.</p>
            <form id="signin-form" class="row">
              <label for="token" class="muted">Token</label>
              <input type="password" id="token" autocomplete="off" required>
              <button type="submit">Sign in</button>
            </form>
            <p class="error" id="signin-error" role="alert"></p>
          </section>
          <div id="app" hidden>
            <div role="tablist" aria-label="Console sections">
              <button type="button" role="tab" id="tab-overview" aria-controls="overview" aria-selected="true">Overview</button>
              <button type="button" role="tab" id="tab-try" aria-controls="try" aria-selected="false" tabindex="-1">Try it</button>
              <button type="button" role="tab" id="tab-review" aria-controls="review" aria-selected="false" tabindex="-1">Review</button>
              <button type="button" role="tab" id="tab-corpus" aria-controls="corpus-panel" aria-selected="false" tabindex="-1">Corpus</button>
              <button type="button" role="tab" id="tab-conversations" aria-controls="conversations" aria-selected="false" tabindex="-1">Conversations</button>
            </div>
            <div role="tabpanel" id="overview" aria-labelledby="tab-overview">
              <div class="cards" id="cards"></div>
              <section class="panel"><h2>Messages over time</h2>
                <div class="row" role="group" aria-label="Period">
                  <button type="button" id="by-hour" aria-pressed="true">Last 48 hours</button>
                  <button type="button" id="by-day" aria-pressed="false">Last 30 days</button>
                </div>
                <div class="legend" id="legend"></div>
                <div id="timeline"></div>
                <details><summary>As a table</summary><div id="timeline-table"></div></details>
              </section>
              <section class="panel"><h2>Fallback rate</h2><div id="fallback"></div></section>
              <section class="panel"><h2>Most-hit FAQ entries</h2><div id="entries"></div></section>
              <section class="panel"><h2>Most-hit keyword rules</h2><div id="rules"></div></section>
              <section class="panel" id="automation-panel" hidden><h2>WhatsApp automation</h2><div id="automation"></div></section>
            </div>
            <div role="tabpanel" id="try" aria-labelledby="tab-try" hidden>
              <section class="panel"><h2>Try a message</h2>
                <form id="try-form">
                  <label for="message" class="muted">What a customer writes</label>
                  <textarea id="message" required placeholder="我想把钱要回来 / where is my parcel? / ¿dónde está mi pedido?"></textarea>
                  <div class="row"><button type="submit">Match</button></div>
                </form>
                <div id="decision" aria-live="polite"></div>
              </section>
            </div>
            <div role="tabpanel" id="review" aria-labelledby="tab-review" hidden>
              <section class="panel"><h2>What the bot missed</h2>
                <p class="muted">Recent unmatched and ambiguous messages, grouped by the service's own embedder into the same question, largest first, with the entry they most likely belong to. Teach the bot: add a cluster's messages to an entry, make a new entry of them, or mark them out of scope. Edits apply within seconds and are kept with your name.</p>
                <div class="row"><label for="editor-name">Your name</label> <input id="editor-name" autocomplete="name" placeholder="shown in the edit history"></div>
                <div id="review-list" aria-live="polite"></div>
                <datalist id="entry-ids"></datalist>
              </section>
            </div>
            <div role="tabpanel" id="corpus-panel" aria-labelledby="tab-corpus" hidden>
              <section class="panel"><h2>Corpus</h2><div id="corpus-summary"></div><div id="corpus-entries"></div></section>
              <section class="panel"><h2>Lint</h2><div id="corpus-lint"></div></section>
              <section class="panel"><h2>Edit history</h2><div id="corpus-edits"></div></section>
            </div>
            <div role="tabpanel" id="conversations" aria-labelledby="tab-conversations" hidden>
              <section class="panel"><h2>Recent conversations</h2><div id="conversation-list"></div></section>
            </div>
          </div>
        </main>
        <script>
        "use strict";
        const colors = { matched: "var(--matched)", keyword: "var(--keyword)", ambiguous: "var(--ambiguous)", unmatched: "var(--unmatched)" };
        const statuses = Object.keys(colors);
        let token = null, stats = null, period = "hour", current = "overview";

        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
          for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
          return node;
        }
        function svg(tag, attributes, ...children) {
          const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
          for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
          for (const child of children) node.append(child);
          return node;
        }
        function table(headers, rows, numeric) {
          const head = el("tr", {}, ...headers.map((h, i) => el("th", numeric && numeric[i] ? { class: "num", scope: "col" } : { scope: "col" }, h)));
          const body = rows.map(r => el("tr", {}, ...r.map((c, i) => el("td", numeric && numeric[i] ? { class: "num" } : {}, c))));
          return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
        }
        function pct(x) { return (100 * x).toFixed(1) + "%"; }

        async function api(path, options) {
          const response = await fetch(path, Object.assign({ headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" } }, options || {}));
          if (response.status === 401 || response.status === 403) { signOut("That token was not accepted."); throw new Error("unauthorized"); }
          const body = await response.json();
          if (!response.ok) throw new Error(body.error ? body.error.message : "HTTP " + response.status);
          return body;
        }

        function signOut(message) {
          sessionStorage.removeItem("intent-console-token");
          token = null;
          document.getElementById("app").hidden = true;
          document.getElementById("signout").hidden = true;
          document.getElementById("signin").hidden = false;
          document.getElementById("signin-error").textContent = message || "";
        }
        function signIn(value) {
          token = value;
          sessionStorage.setItem("intent-console-token", value);
          document.getElementById("signin").hidden = true;
          document.getElementById("app").hidden = false;
          document.getElementById("signout").hidden = false;
          refresh();
        }

        function renderCards(s) {
          const o = s.outcomes;
          const items = [["messages", s.total], ["matched", o.matched], ["keyword", o.keyword], ["ambiguous", o.ambiguous],
            ["unmatched", o.unmatched], ["fallback rate", pct(s.fallback_rate)], ["degraded", s.degraded]];
          if (s.automation) items.push(["hand-overs", s.automation.handover.count]);
          document.getElementById("cards").replaceChildren(...items.map(([l, n]) => el("div", { class: "card" }, el("div", { class: "n" }, n), el("div", { class: "l" }, l))));
        }

        function renderTimeline(s) {
          const buckets = period === "hour" ? s.by_hour : s.by_day;
          const width = 720, height = 200, pad = 28, barWidth = (width - pad) / buckets.length;
          const totals = buckets.map(b => statuses.reduce((n, k) => n + (b.outcomes[k] || 0), 0));
          const max = Math.max(1, ...totals);
          const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 20}`, role: "img", "aria-label": "Messages per " + period + " by outcome" });
          chart.append(svg("text", { x: 0, y: 12, "font-size": 11, fill: "currentColor" }, document.createTextNode(String(max))));
          buckets.forEach((b, i) => {
            let y = height;
            const label = period === "hour" ? b.at.slice(5, 13).replace("T", " ") + ":00" : b.at.slice(5);
            for (const k of statuses) {
              const n = b.outcomes[k] || 0;
              if (!n) continue;
              const h = (n / max) * (height - 20);
              y -= h;
              const rect = svg("rect", { x: pad + i * barWidth + 1, y: y, width: Math.max(1, barWidth - 2), height: h, fill: colors[k] });
              rect.append(svg("title", {}, document.createTextNode(`${label}: ${n} ${k}`)));
              chart.append(rect);
            }
            if (i % Math.ceil(buckets.length / 8) === 0)
              chart.append(svg("text", { x: pad + i * barWidth, y: height + 15, "font-size": 10, fill: "currentColor" }, document.createTextNode(label)));
          });
          document.getElementById("timeline").replaceChildren(chart);
          document.getElementById("legend").replaceChildren(...statuses.map(k => el("span", {}, el("span", { class: "swatch", style: "background:" + colors[k] }), k)));
          document.getElementById("timeline-table").replaceChildren(
            table(["period", ...statuses, "total"], buckets.map((b, i) => [b.at, ...statuses.map(k => b.outcomes[k] || 0), totals[i]]), [false, true, true, true, true, true]));
          const rates = buckets.map((b, i) => totals[i] ? (b.outcomes.unmatched || 0) / totals[i] : null);
          const line = svg("svg", { viewBox: `0 0 ${width} 90`, role: "img", "aria-label": "Fallback rate per " + period });
          const points = rates.map((r, i) => r === null ? null : `${pad + i * barWidth + barWidth / 2},${80 - r * 70}`).filter(Boolean);
          if (points.length) line.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: "var(--unmatched)", "stroke-width": 2 }));
          rates.forEach((r, i) => { if (r !== null) {
            const dot = svg("circle", { cx: pad + i * barWidth + barWidth / 2, cy: 80 - r * 70, r: 3, fill: "var(--unmatched)" });
            dot.append(svg("title", {}, document.createTextNode(`${buckets[i].at}: ${pct(r)} fallback`)));
            line.append(dot); } });
          document.getElementById("fallback").replaceChildren(line, el("p", { class: "muted" }, "Overall: " + pct(s.fallback_rate) + " of " + s.total + " messages got the fallback reply."));
        }

        function renderHits(id, hits, customers) {
          const rows = Object.entries(hits).sort((a, b) => b[1] - a[1]).slice(0, 15);
          const box = document.getElementById(id);
          if (!rows.length) { box.replaceChildren(el("p", { class: "muted" }, "No hits yet.")); return; }
          const max = rows[0][1], chart = svg("svg", { viewBox: `0 0 600 ${rows.length * 22}`, role: "img", "aria-label": "Hits" });
          rows.forEach(([name, n], i) => {
            const bar = svg("rect", { x: 200, y: i * 22 + 3, width: Math.max(2, 380 * n / max), height: 16, fill: "var(--accent)" });
            bar.append(svg("title", {}, document.createTextNode(`${name}: ${n} hits` + (customers ? `, ${customers[name] || 0} customers` : ""))));
            chart.append(svg("text", { x: 0, y: i * 22 + 16, "font-size": 12, fill: "currentColor" }, document.createTextNode(name.slice(0, 28))), bar);
          });
          const headers = customers ? ["name", "hits", "customers"] : ["name", "hits"];
          box.replaceChildren(chart, el("details", {}, el("summary", {}, "As a table"),
            table(headers, rows.map(([name, n]) => customers ? [name, n, customers[name] || 0] : [name, n]), [false, true, true])));
        }

        function renderAutomation(s) {
          const panel = document.getElementById("automation-panel");
          panel.hidden = !s.automation;
          if (!s.automation) return;
          const a = s.automation, w = s.whatsapp;
          document.getElementById("automation").replaceChildren(
            table(["trigger", "uses", "customers reached"], ["greeting", "away", "handover", "fallback"].map(k => [k, a[k].count, a[k].customers]), [false, true, true]),
            el("p", { class: "muted" }, `WhatsApp: ${w.received} received, ${w.duplicates} duplicate deliveries, ${w.sent} sent, ${w.failed} failed, ${w.pending} waiting, ${w.conversations} conversations.`));
        }

        async function refreshOverview() {
          stats = await api("/v1/stats?recent=0");
          document.getElementById("corpus-version").textContent = "corpus " + (stats.corpus_version || "loading");
          renderCards(stats);
          renderTimeline(stats);
          renderHits("entries", stats.hits_by_faq, stats.customers_by_faq);
          renderHits("rules", stats.hits_by_rule, stats.customers_by_rule);
          renderAutomation(stats);
          // For benchmarks: when the first overview was on screen (scripts/bench-console).
          if (!performance.getEntriesByName("console-rendered").length) performance.mark("console-rendered");
        }

        async function refreshConversations() {
          const list = await api("/v1/conversations?limit=100");
          const box = document.getElementById("conversation-list");
          if (!list.enabled) { box.replaceChildren(el("p", { class: "muted" }, "The WhatsApp channel is off (set its three secrets to turn it on).")); return; }
          if (!list.conversations.length) { box.replaceChildren(el("p", { class: "muted" }, "No conversations yet.")); return; }
          const rows = list.conversations.map(c => {
            const who = el("span", { class: "badge" }, c.handled_by === "human" ? "a person, until " + c.muted_until.slice(0, 16).replace("T", " ") : "the bot");
            const action = c.handled_by === "human" ? el("button", { type: "button" }, "Give back to the bot") : "";
            if (action) action.addEventListener("click", async () => {
              action.disabled = true;
              try { await api("/v1/conversations/" + encodeURIComponent(c.customer) + "/unmute", { method: "POST" }); await refreshConversations(); }
              catch (e) { action.disabled = false; action.textContent = "Failed: " + e.message; }
            });
            return [c.customer, c.name || "", c.last_message_at.slice(0, 16).replace("T", " "), who, action];
          });
          box.replaceChildren(table(["customer", "name", "last message (UTC)", "handled by", ""], rows));
        }

        function editorName() {
          const name = document.getElementById("editor-name").value.trim();
          if (name) localStorage.setItem("intent-console-name", name);
          return name ? { by: name } : {};
        }
        // One action per cluster; the review list is not redrawn under someone typing in it.
        async function act(box, status, path, body) {
          for (const b of box.querySelectorAll("button")) b.disabled = true;
          status.textContent = "Applying…";
          try {
            const result = await api(path, { method: "POST", body: JSON.stringify(Object.assign(body, editorName())) });
            status.textContent = `Done: edit ${result.edit.number}, corpus version ${result.corpus_version}.`;
            document.getElementById("corpus-version").textContent = "corpus " + result.corpus_version;
            box.dataset.done = "true";
            setTimeout(refreshReview, 1200);
          } catch (e) {
            status.textContent = "Not applied: " + e.message;
            for (const b of box.querySelectorAll("button")) b.disabled = false;
          }
        }
        function clusterCard(c, i) {
          const status = el("p", { class: "muted", role: "status" });
          const entry = el("input", { list: "entry-ids", id: "assign-" + i, value: c.suggestion ? c.suggestion.id : "", "aria-label": "entry id" });
          const assign = el("button", { type: "button", "data-action": "assign" }, "Add as paraphrases");
          const dismiss = el("button", { type: "button", "data-action": "dismiss" }, "Out of scope");
          const create = el("button", { type: "button", "data-action": "new" }, "New entry…");
          const newId = el("input", { id: "new-id-" + i, "aria-label": "new entry id", placeholder: "new_entry_id" });
          const answer = el("textarea", { id: "new-answer-" + i, rows: "2", "aria-label": "answer", placeholder: "The answer customers get" });
          const save = el("button", { type: "button", "data-action": "create" }, "Create entry");
          const form = el("div", { class: "row", hidden: "" }, newId, answer, save);
          const box = el("article", { class: "cluster", "data-cluster": c.id },
            el("h3", {}, `${c.size} message${c.size === 1 ? "" : "s"}, ${c.customers} customer${c.customers === 1 ? "" : "s"}`),
            el("p", { class: "muted" }, `${c.unmatched} unmatched, ${c.ambiguous} ambiguous; latest ${c.last_at.slice(0, 16).replace("T", " ")} UTC; suggested: ` +
              (c.suggestion ? `${c.suggestion.id} (${c.suggestion.score})` : "none")),
            el("ul", {}, ...c.examples.map(x => el("li", {}, x))),
            el("div", { class: "row" }, entry, assign, create, dismiss), form, status);
          assign.addEventListener("click", () => act(box, status, `/v1/review/${c.id}/assign`, { entry: entry.value.trim() }));
          dismiss.addEventListener("click", () => act(box, status, `/v1/review/${c.id}/dismiss`, {}));
          create.addEventListener("click", () => { form.hidden = !form.hidden; if (!form.hidden) newId.focus(); });
          save.addEventListener("click", () => act(box, status, "/v1/entries", { id: newId.value.trim(), questions: c.examples, answer: answer.value }));
          return box;
        }
        async function refreshReview() {
          const box = document.getElementById("review-list");
          if (box.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") return;
          const [review, corpus] = await Promise.all([api("/v1/review"), api("/v1/corpus")]);
          document.getElementById("entry-ids").replaceChildren(...corpus.entries.map(e => el("option", { value: e.id })));
          if (!review.clusters.length) { box.replaceChildren(el("p", { class: "muted" }, "Nothing to review: every recent message was answered or dealt with.")); return; }
          box.replaceChildren(el("p", { class: "muted" }, `${review.messages} messages in ${review.clusters.length} clusters.`), ...review.clusters.map(clusterCard));
        }

        async function refreshCorpus() {
          const corpus = await api("/v1/corpus");
          const edits = await api("/v1/edits");
          document.getElementById("corpus-summary").replaceChildren(el("p", { class: "muted" },
            `${corpus.entries.length} entries, ${corpus.entries.reduce((n, e) => n + e.questions.length, 0)} paraphrases, ${corpus.rules} rules; version ${corpus.version}; from ${corpus.source}.`));
          const rows = corpus.entries.map(e => [e.id,
            el("details", {}, el("summary", {}, `${e.questions.length} paraphrases`), el("ul", {}, ...e.questions.map(q => el("li", {}, q)))),
            e.hits, e.edits.length ? e.edits.join(", ") : "", e.handover ? "yes" : ""]);
          document.getElementById("corpus-entries").replaceChildren(table(["entry", "paraphrases", "hits", "edits", "hand-over"], rows, [false, false, true, false, false]));
          const lint = corpus.lint, lintBox = document.getElementById("corpus-lint");
          if (lint.status !== "ready") lintBox.replaceChildren(el("p", { class: "muted" }, lint.status === "running" ? "Lint is running…" : "Lint failed."));
          else lintBox.replaceChildren(
            el("h3", {}, `Paraphrases closer to another entry (${lint.stray_paraphrases.length})`),
            table(["entry", "paraphrase", "own score", "closer entry", "its paraphrase", "score"],
              lint.stray_paraphrases.slice(0, 50).map(x => [x.entry, x.paraphrase, x.own_score, x.closer_entry, x.closer_paraphrase, x.closer_score]), [false, false, true, false, false, true]),
            el("h3", {}, `Near duplicates across entries (${lint.near_duplicates.length})`),
            table(["entry", "paraphrase", "entry", "paraphrase", "score"],
              lint.near_duplicates.slice(0, 50).map(x => [x.entry_a, x.paraphrase_a, x.entry_b, x.paraphrase_b, x.score]), [false, false, false, false, true]),
            el("h3", {}, `Thin entries (${lint.thin_entries.length})`), el("p", {}, lint.thin_entries.join(", ") || "none"));
          document.getElementById("corpus-edits").replaceChildren(edits.edits.length ? table(["#", "kind", "entry", "texts", "by", "at (UTC)"],
            edits.edits.map(x => [x.number, x.kind.replace(/_/g, " "), x.entry || "", x.questions.join(" · "), x.by, x.at.slice(0, 16).replace("T", " ")]), [true, false, false, false, false, false])
            : el("p", { class: "muted" }, "No edits yet."));
        }

        async function tryMessage(event) {
          event.preventDefault();
          const box = document.getElementById("decision");
          box.replaceChildren(el("p", { class: "muted" }, "Deciding…"));
          try {
            const d = await api("/match", { method: "POST", body: JSON.stringify({ message: document.getElementById("message").value, top_k: 5 }) });
            const facts = [["status", d.status], ["answer by", d.id || d.rule || "(fallback reply)"], ["method", d.method],
              ["score", d.score ?? "–"], ["margin", d.margin ?? "–"], ["matched paraphrase", d.matched_question || "–"], ["rule", d.rule || "–"],
              ["why", d.reason], ["answer", d.answer || ""], ["latency", d.latency_ms + " ms"]];
            if (d.out_of_scope) facts.push(["turned away by", d.out_of_scope + " (out of scope)"]);
            if (d.degraded) facts.push(["degraded", d.degraded_reason || "yes"]);
            box.replaceChildren(table(["", ""], facts),
              el("h2", {}, "Candidates"), table(["entry", "score", "closest paraphrase"], d.candidates.map(c => [c.id, c.score, c.question]), [false, true, false]));
          } catch (e) { box.replaceChildren(el("p", { class: "error" }, e.message)); }
        }

        async function refresh() {
          if (!token) return;
          try {
            if (current === "overview") await refreshOverview();
            if (current === "conversations") await refreshConversations();
            if (current === "review") await refreshReview();
            if (current === "corpus-panel") await refreshCorpus();
            document.getElementById("refreshed").textContent = "updated " + new Date().toLocaleTimeString();
          } catch (e) { if (e.message !== "unauthorized") document.getElementById("refreshed").textContent = "update failed: " + e.message; }
        }

        function select(tab) {
          for (const t of document.querySelectorAll("[role=tab]")) {
            const on = t === tab;
            t.setAttribute("aria-selected", on); t.tabIndex = on ? 0 : -1;
            document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
          }
          current = tab.getAttribute("aria-controls");
          tab.focus();
          refresh();
        }
        const tabs = [...document.querySelectorAll("[role=tab]")];
        tabs.forEach((t, i) => {
          t.addEventListener("click", () => select(t));
          t.addEventListener("keydown", e => {
            if (e.key === "ArrowRight") select(tabs[(i + 1) % tabs.length]);
            if (e.key === "ArrowLeft") select(tabs[(i + tabs.length - 1) % tabs.length]);
          });
        });
        for (const [id, p] of [["by-hour", "hour"], ["by-day", "day"]]) document.getElementById(id).addEventListener("click", () => {
          period = p;
          document.getElementById("by-hour").setAttribute("aria-pressed", p === "hour");
          document.getElementById("by-day").setAttribute("aria-pressed", p === "day");
          if (stats) renderTimeline(stats);
        });
        document.getElementById("signin-form").addEventListener("submit", e => { e.preventDefault(); signIn(document.getElementById("token").value.trim()); });
        document.getElementById("signout").addEventListener("click", () => signOut(""));
        document.getElementById("try-form").addEventListener("submit", tryMessage);
        document.getElementById("editor-name").value = localStorage.getItem("intent-console-name") || "";

        // A token in the fragment (#token=...) never reaches the server: keep it for this tab, drop it from the address bar.
        const fragment = new URLSearchParams(location.hash.slice(1));
        if (fragment.get("token")) { sessionStorage.setItem("intent-console-token", fragment.get("token")); history.replaceState(null, "", location.pathname); }
        const saved = sessionStorage.getItem("intent-console-token");
        if (saved) signIn(saved); else signOut("");
        setInterval(refresh, 15000);
        </script>
        </body>
        </html>
        """#
}
