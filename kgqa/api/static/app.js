/* kgqa explorer: ask a question, see the answer, its Cypher, checks, evidence and supporting subgraph;
   search entities and expand neighbours. Plain JS, no build step; all text goes in via textContent. */
(function () {
  "use strict";

  const COLORS = {
    Person: "#4c8eda", Organization: "#f79767", Location: "#57c785", Work: "#c990c0",
    Document: "#ffc454", Chunk: "#da7194",
  };
  const OTHER = "#8d99ae";
  const STRUCTURAL = new Set(["Entity", "Document", "Chunk"]);

  const $ = (id) => document.getElementById(id);
  const keyInput = $("api-key");
  keyInput.value = sessionStorage.getItem("kgqa-api-key") || "";
  keyInput.addEventListener("change", () => sessionStorage.setItem("kgqa-api-key", keyInput.value.trim()));
  $("key-toggle").addEventListener("click", () => {
    const panel = $("key-panel");
    panel.hidden = !panel.hidden;
    $("key-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  });

  function typeOf(labels) {
    const specific = (labels || []).filter((l) => !STRUCTURAL.has(l)).sort();
    if (specific.length) return specific[0];
    return (labels || [])[0] || "Entity";
  }

  const cy = cytoscape({
    container: $("graph"),
    elements: [],
    minZoom: 0.2,
    maxZoom: 1.4,
    style: [
      { selector: "node", style: {
          "background-color": (n) => COLORS[n.data("type")] || OTHER,
          label: "data(name)", "font-size": 11, color: "#1d2330",
          "text-valign": "bottom", "text-margin-y": 4, width: 28, height: 28,
          "border-width": 2, "border-color": "#ffffff",
          "text-wrap": "ellipsis", "text-max-width": 120, "text-background-color": "#fcfcfb",
          "text-background-opacity": 0.85, "text-background-padding": 2 } },
      { selector: "node.answer", style: { "border-color": "#15803d", "border-width": 4 } },
      { selector: "node.linked", style: { "border-color": "#2563eb", "border-width": 4 } },
      { selector: "edge", style: {
          width: 2, "line-color": "#9ca3af", "target-arrow-color": "#9ca3af", "target-arrow-shape": "triangle",
          "curve-style": "bezier", label: "data(type)", "font-size": 9, color: "#4b5563",
          "text-rotation": "autorotate", "text-background-color": "#fcfcfb", "text-background-opacity": 1,
          "text-background-padding": 2 } },
      { selector: "edge.support", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", width: 3 } },
      { selector: ":selected", style: { "overlay-opacity": 0.12 } },
    ],
    layout: { name: "grid" },
  });
  window.kgqaCy = cy; // for tests and the console

  /* Small graphs (answer paths, neighbourhoods) read best as layered trees from the topic entities;
     larger ones get a force-directed layout. */
  function relayout(roots) {
    const n = cy.nodes().length;
    if (n === 0) return;
    if (n <= 40) {
      let r = cy.collection();
      for (const id of roots || []) r = r.union(cy.getElementById(id));
      if (r.length === 0) r = cy.nodes().filter((x) => x.indegree(false) === 0);
      cy.layout({ name: "breadthfirst", directed: false, roots: r.length ? r : undefined, spacingFactor: 1.1,
        padding: 40, animate: false, fit: true }).run();
    } else {
      cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 110, padding: 30,
        randomize: true, fit: true }).run();
    }
  }

  function edgeId(r) { return r.start + "|" + r.type + "|" + r.end; }

  /* Merge a {nodes, relationships} subgraph (AskResult.subgraph or an entity's neighbourhood). */
  function addSubgraph(sub, cls, roots) {
    const add = [];
    for (const n of sub.nodes || []) {
      if (cy.getElementById(n.id).length === 0) {
        add.push({ group: "nodes", data: { id: n.id, name: n.name || n.id, labels: n.labels || [],
          type: typeOf(n.labels) } });
      }
    }
    for (const r of sub.relationships || []) {
      for (const end of [r.start, r.end]) {
        if (cy.getElementById(end).length === 0 && !add.some((a) => a.data.id === end)) {
          add.push({ group: "nodes", data: { id: end, name: end, labels: [], type: "Entity" } });
        }
      }
      const id = edgeId(r);
      if (cy.getElementById(id).length === 0) {
        add.push({ group: "edges", data: { id, source: r.start, target: r.end, type: r.type,
          evidence: r.evidence || [] } });
      }
    }
    const added = cy.add(add);
    if (cls) {
      for (const r of sub.relationships || []) cy.getElementById(edgeId(r)).addClass(cls);
    }
    relayout(roots);
    return added;
  }

  /* Tooltips: evidence on edges, type and id on nodes. */
  const tip = $("tooltip");
  function showTip(evt, title, lines) {
    tip.replaceChildren();
    const t = document.createElement("div"); t.className = "t"; t.textContent = title; tip.appendChild(t);
    for (const line of lines) {
      const s = document.createElement("div"); s.className = "s"; s.textContent = line; tip.appendChild(s);
    }
    const box = $("right").getBoundingClientRect();
    const p = evt.renderedPosition || { x: 0, y: 0 };
    tip.style.left = Math.min(p.x + 24, box.width - 280) + "px";
    tip.style.top = (p.y + 60) + "px";
    tip.hidden = false;
  }
  cy.on("mouseover", "edge", (evt) => {
    const e = evt.target;
    const src = cy.getElementById(e.data("source")).data("name");
    const dst = cy.getElementById(e.data("target")).data("name");
    const ev = e.data("evidence") || [];
    const lines = ev.length ? ev.slice(0, 5).map((x) => "“" + x.sentence + "” — " + x.doc_id) : ["no evidence recorded"];
    if (ev.length > 5) lines.push("… and " + (ev.length - 5) + " more");
    showTip(evt, src + " —" + e.data("type") + "→ " + dst, lines);
  });
  cy.on("mouseover", "node", (evt) => {
    const n = evt.target;
    showTip(evt, n.data("name"), [n.data("type") + " · " + n.id(), "click to expand neighbours"]);
  });
  cy.on("mouseout", () => { tip.hidden = true; });
  cy.on("tap", "node", (evt) => expand(evt.target.id()));

  $("fit").addEventListener("click", () => cy.fit(undefined, 30));
  $("clear").addEventListener("click", () => { cy.elements().remove(); });

  /* HTTP helpers: every error is problem+json with detail and hint. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const key = keyInput.value.trim();
    if (key) headers.Authorization = "Bearer " + key;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    if (!res.ok) {
      const msg = data && data.detail ? data.detail : res.status + " " + res.statusText;
      const err = new Error(msg);
      err.hint = data && data.hint;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function setStatus(text, isError, hint) {
    const s = $("status");
    s.textContent = text + (hint ? " — " + hint : "");
    s.classList.toggle("error", !!isError);
  }

  function fillList(el, items, make) {
    el.replaceChildren();
    for (const item of items) el.appendChild(make(item));
  }

  function li(text, cls) {
    const x = document.createElement("li");
    x.textContent = text;
    if (cls) x.className = cls;
    return x;
  }

  function showResult(r, ms) {
    $("result").hidden = false;
    const badge = $("answer-status");
    badge.textContent = r.status.replace("_", " ");
    badge.className = "badge " + r.status;
    $("answer-ms").textContent = ms + " ms";
    $("answer").textContent = r.answer;
    fillList($("answers"), r.answers || [], (a) => li(a.name + (a.type ? " (" + a.type + ")" : "")));
    /* Linked entities; for ambiguous names, one click re-asks with another candidate. */
    const linked = r.linked_entities || [];
    fillList($("linked"), linked, (l) => {
      const x = li("“" + l.mention + "” → " + l.name + (l.type ? " (" + l.type + ")" : "") + " · " + l.method);
      for (const alt of l.alternatives || []) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "small";
        b.textContent = "use " + alt.name + (alt.type ? " (" + alt.type + ")" : "");
        b.title = alt.id;
        b.addEventListener("click", () => {
          const ids = linked.map((o) => (o === l ? alt.id : o.id));
          ask(r.question, { entities: ids });
        });
        x.appendChild(b);
      }
      return x;
    });
    $("linked-box").hidden = linked.length === 0;
    $("cypher").textContent = r.cypher || "(no query)";
    $("cypher-box").hidden = !r.cypher;
    fillList($("checks"), r.checks || [], (c) => li(c.name + (c.detail ? ": " + c.detail : ""), c.status));
    $("checks-box").hidden = !(r.checks || []).length;
    fillList($("evidence"), r.evidence || [], (e) => {
      const x = document.createElement("li");
      x.appendChild(document.createTextNode("“" + e.sentence + "” "));
      const c = document.createElement("span");
      c.className = "cite";
      c.textContent = "[" + e.doc_id + (e.chunk_id ? " · " + e.chunk_id : "") + "]" + (e.fact ? " " + e.fact : "");
      x.appendChild(c);
      return x;
    });
    $("evidence-box").hidden = !(r.evidence || []).length;
    $("browser-query").textContent = r.browser_query || "";
    $("browser-box").hidden = !r.browser_query;

    cy.elements().remove();
    addSubgraph(r.subgraph || {}, "support", (r.linked_entities || []).map((l) => l.id));
    for (const a of r.answers || []) cy.getElementById(a.id).addClass("answer");
    for (const l of r.linked_entities || []) cy.getElementById(l.id).addClass("linked");
    const n = cy.nodes().length;
    $("graph-caption").textContent = n
      ? n + " nodes, " + cy.edges().length + " relationships supporting the answer (hover an edge for its evidence)"
      : "No supporting subgraph for this answer.";
  }

  async function ask(question, options) {
    const btn = $("ask-button");
    btn.disabled = true;
    setStatus("Thinking…");
    const started = performance.now();
    try {
      const body = options ? { question, options } : { question };
      const r = await api("POST", "/v1/ask", body);
      showResult(r, Math.round(performance.now() - started));
      setStatus("");
      document.body.dataset.answered = "true";
    } catch (err) {
      setStatus(err.message, true, err.hint);
      document.body.dataset.answered = "error";
    } finally {
      btn.disabled = false;
    }
  }

  $("ask-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const question = $("question").value.trim();
    if (question) ask(question);
  });

  async function expand(id) {
    setStatus("Loading " + id + "…");
    try {
      const d = await api("GET", "/v1/entities/" + encodeURIComponent(id).replace(/%3A/gi, ":"));
      addSubgraph(d.subgraph || {}, null, [id]);
      cy.getElementById(id).select();
      setStatus(d.entity.name + ": " + d.facts.length + " facts" + (d.truncated ? " (more not shown)" : "") +
        (d.documents.length ? ", mentioned in " + d.documents.map((x) => x.title || x.id).join(", ") : ""));
      $("graph-caption").textContent = cy.nodes().length + " nodes, " + cy.edges().length + " relationships";
    } catch (err) {
      setStatus(err.message, true, err.hint);
    }
  }

  $("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("search").value.trim();
    if (!q) return;
    try {
      const d = await api("GET", "/v1/entities?q=" + encodeURIComponent(q) + "&limit=20");
      fillList($("search-results"), d.entities, (e) => {
        const x = li(e.name + (e.type ? " · " + e.type : "") +
          (e.aliases && e.aliases.length ? "  (" + e.aliases.slice(0, 3).join(", ") + ")" : ""));
        x.title = e.id;
        x.addEventListener("click", () => expand(e.id));
        return x;
      });
      if (!d.entities.length) $("search-results").appendChild(li("no entity matches “" + q + "”", "muted"));
    } catch (err) {
      setStatus(err.message, true, err.hint);
    }
  });

  $("copy-browser").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText($("browser-query").textContent); setStatus("Copied the Browser query."); }
    catch (_) { setStatus("Select the query and copy it by hand.", true); }
  });

  const params = new URLSearchParams(location.search);
  if (params.get("q")) {
    $("question").value = params.get("q");
    $("ask-form").requestSubmit();
  }
})();
