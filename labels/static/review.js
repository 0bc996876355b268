// casetag review page: keyboard-first accept / reject / add over the JSON API (labels/review.py).
// Paragraph text and tag names are only ever set with textContent.
"use strict";

const FILTERS = ["order", "doc", "tag", "min", "max", "uncoded"];

const S = {
  coder: "", queue: [], pos: 0, progress: {coded: 0, assigned: 0},
  tags: new Map(), server: new Map(), unsaved: new Map(), removed: new Map(),
  chain: Promise.resolve(), saving: 0, undoing: null,
};

// -- server

// Steps go to the server one after another, in the order made. The page shows the server's
// view of a paragraph with the coder's not yet acknowledged steps applied on top, so every
// key takes effect at once and the server's answers never undo a newer key.
function enqueue(send, onSaved) {
  S.saving++;
  savingStarted();
  const done = S.chain.then(send).then(onSaved, (e) => {
    status(`Not saved: ${e.message}`, true);
    throw e;
  }).finally(() => {
    savingFinished(--S.saving);
    render();
  });
  S.chain = done.catch(() => {});
  return done;
}

function decide(pid, changes) {
  if (!changes.length) return;
  if (!S.unsaved.has(pid)) S.unsaved.set(pid, []);
  S.unsaved.get(pid).push(changes);
  render();
  enqueue(() => api("/api/decide", {coder: S.coder, paragraph_id: pid, changes}), (data) => {
    S.unsaved.get(pid).shift();
    accept(data.paragraph);
  }).catch(() => {
    S.unsaved.delete(pid);
    return fetchViews([pid], true).catch(() => {});
  });
}

// `u` is not shown ahead of the server: keys pressed meanwhile wait for its answer.
function undo() {
  S.undoing = enqueue(() => api("/api/undo", {coder: S.coder}), (data) => {
    if (!data.paragraph) return status("Nothing to undo.");
    accept(data.paragraph);
    const at = S.queue.findIndex((i) => i.id === data.paragraph.id);
    if (at >= 0 && at !== S.pos) { S.pos = at; show(); }
    status(`Undone on ${data.paragraph.id}.`);
  }).catch(() => {}).finally(() => { S.undoing = null; });
}

// A paragraph as this coder sees it: the server's view plus unacknowledged steps.
function shown(pid) {
  const server = S.server.get(pid);
  if (!server) return undefined;
  const v = {...server, state: {...server.state}};
  for (const changes of S.unsaved.get(pid) || []) {
    for (const [tag, action] of changes) {
      const suggested = v.suggestions.some(([t]) => t === tag);
      if (action === "clear") delete v.state[tag];
      else if (action === "accept" || action === "add") v.state[tag] = suggested ? "accept" : "add";
      else v.state[tag] = action;
    }
  }
  v.coded = v.state[""] === "done" && decided(v) === v.suggestions.length;
  return v;
}

const decided = (v) => v.suggestions.filter(([t]) => ["accept", "reject"].includes(v.state[t])).length;

// The server's view of a paragraph: the truth, also for the progress count.
function accept(server) {
  const item = S.queue.find((i) => i.id === server.id);
  if (item && item.coded !== server.coded) {
    S.progress.coded += server.coded ? 1 : -1;
    item.coded = server.coded;
  }
  S.server.set(server.id, server);
}

async function fetchViews(ids, force = false) {
  const missing = ids.filter((id) => force || !S.server.has(id));
  if (!missing.length) return;
  const params = new URLSearchParams({coder: S.coder, ids: missing.join(",")});
  for (const view of await api(`/api/paragraphs?${params}`)) accept(view);
}

async function loadQueue(keep) {
  const params = new URLSearchParams({coder: S.coder});
  for (const f of FILTERS) {
    const el = $(f);
    const value = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    if (value) params.set(f === "doc" ? "doc" : f, value);
  }
  try {
    const q = await api(`/api/queue?${params}`);
    S.queue = q.items;
    S.progress = {coded: q.coded, assigned: q.assigned};
    $("order").value = q.order;  // the store's default order when the page did not choose one
    fillSelect($("doc"), q.documents.map((d) => [d, d]), "all");
    const at = S.queue.findIndex((i) => i.id === keep);
    const firstOpen = S.queue.findIndex((i) => !i.coded);
    S.pos = at >= 0 ? at : Math.max(firstOpen, 0);
    await show();
  } catch (e) {
    status(e.message, true);
  }
}

// -- navigation

async function show() {
  const window = S.queue.slice(Math.max(S.pos - 2, 0), S.pos + 6).map((i) => i.id);
  render();
  try {
    await fetchViews(window);
  } catch (e) {
    status(e.message, true);
  }
  render();
}

function current() {
  const item = S.queue[S.pos];
  return item && shown(item.id);
}

function go(delta) {
  const view = current();
  if (delta > 0 && view && !view.coded) {
    const open = view.suggestions.length - decided(view);
    if (open === 0) decide(view.id, [["", "done"]]);
    else status(`${view.id} left uncoded: ${open} suggestion(s) still undecided.`);
  }
  const next = S.pos + delta;
  if (next >= S.queue.length) return status("End of the queue. Change the filters or go back with ←.");
  if (next < 0) return;
  S.pos = next;
  S.removed.clear();
  show();
}

// -- tags

// The rows under the paragraph: suggestions, then tags this coder added (and ones just removed).
function rows(view) {
  const added = Object.keys(view.state).filter((t) => t && view.state[t] === "add");
  const removed = [...(S.removed.get(view.id) || [])].filter((t) => !added.includes(t));
  return [
    ...view.suggestions.map(([tag, score]) => ({tag, score, state: view.state[tag] || "open"})),
    ...added.map((tag) => ({tag, score: null, state: "add"})),
    ...removed.map((tag) => ({tag, score: null, state: "removed"})),
  ];
}

function toggle(n) {
  const view = current();
  const row = view && rows(view)[n - 1];
  if (!row) return;
  const change = {accept: "reject", add: "clear", removed: "add"}[row.state] || "accept";
  if (row.state === "add") {
    if (!S.removed.has(view.id)) S.removed.set(view.id, new Set());
    S.removed.get(view.id).add(row.tag);
  }
  decide(view.id, [[row.tag, change]]);
  focusRow(n);
}

function all(action) {
  const view = current();
  if (view) decide(view.id, view.suggestions.filter(([t]) => view.state[t] !== action).map(([t]) => [t, action]));
}

function focusRow(n) {
  const button = $("tags").querySelectorAll(".tag")[n - 1];
  if (button) button.focus({preventScroll: false});
}

function define(tagId) {
  const tag = S.tags.get(tagId);
  $("d-empty").hidden = !!tag;
  $("d-body").hidden = !tag;
  if (!tag) return;
  $("d-name").textContent = tag.name;
  $("d-id").textContent = tag.id;
  $("d-group").textContent = tag.group;
  $("d-def").textContent = tag.definition;
  $("d-when").textContent = tag.tag_when;
  $("d-not").textContent = tag.not_when || "—";
}

// -- adding a tag by type-ahead

function openAdder() {
  if (!current()) return;
  $("adder").hidden = false;
  $("add-input").value = "";
  matches();
  $("add-input").focus();
}

function closeAdder() {
  $("add-input").blur();
  $("adder").hidden = true;
  $("add-options").replaceChildren();
}

function matches() {
  const view = current();
  const q = $("add-input").value.trim().toLowerCase().replace(/[\s-]+/g, "_");
  const taken = new Set(Object.keys(view.state).filter((t) => ["accept", "add"].includes(view.state[t])));
  const found = [...S.tags.values()].filter((t) => !taken.has(t.id))
    .map((t) => {
      const id = t.id, name = t.name.toLowerCase().replace(/[\s-]+/g, "_");
      const rank = id.startsWith(q) || name.startsWith(q) ? 0 : id.includes(q) || name.includes(q) ? 1 : 2;
      return {t, rank};
    })
    .filter((m) => m.rank < 2).sort((a, b) => a.rank - b.rank).slice(0, 8);
  const list = $("add-options");
  list.replaceChildren(...found.map(({t}, i) => {
    const li = document.createElement("li");
    li.dataset.tag = t.id;
    li.className = i === 0 ? "active" : "";
    li.append(t.name, Object.assign(document.createElement("small"), {textContent: t.id}));
    li.addEventListener("mousedown", (e) => { e.preventDefault(); addTag(t.id); });
    return li;
  }));
  define(found.length ? found[0].t.id : null);
}

function moveActive(delta) {
  const items = [...$("add-options").children];
  if (!items.length) return;
  const at = items.findIndex((li) => li.classList.contains("active"));
  const next = (at + delta + items.length) % items.length;
  items.forEach((li, i) => li.classList.toggle("active", i === next));
  define(items[next].dataset.tag);
}

function addTag(tagId) {
  const view = current();
  closeAdder();
  if (view && tagId) decide(view.id, [[tagId, "add"]]);
}

$("add-input").addEventListener("input", matches);
$("add-input").addEventListener("keydown", (e) => {
  const keys = {
    ArrowDown: () => moveActive(1), ArrowUp: () => moveActive(-1), Escape: closeAdder,
    Enter: () => addTag($("add-options").querySelector(".active")?.dataset.tag),
  };
  if (keys[e.key]) { e.preventDefault(); e.stopPropagation(); keys[e.key](); }
});
$("add-input").addEventListener("blur", () => setTimeout(closeAdder, 100));

// -- drawing

function render() {
  const p = S.progress;
  $("progress-text").textContent = S.coder ? `${p.coded} / ${p.assigned} coded` : "";
  $("progress-fill").style.width = p.assigned ? `${(100 * p.coded) / p.assigned}%` : "0";
  $("progress").hidden = !S.coder;
  $("picker").hidden = !!S.coder;
  $("filters").hidden = !S.coder;
  const item = S.queue[S.pos];
  const view = current();
  $("empty").hidden = !S.coder || !!item;
  $("empty-text").textContent = `Nothing to review: no paragraphs assigned to ${S.coder} match these filters.`;
  $("card").hidden = $("definition").hidden = !view;
  $("position").textContent = item ? `paragraph ${S.pos + 1} of ${S.queue.length} in this queue` : "";
  if (!view) return;
  location.replace(`#${hashParams(view.id)}`);
  $("m-doc").textContent = view.doc_id;
  $("m-para").textContent = view.para_id;
  $("m-section").textContent = view.section;
  $("m-date").textContent = view.date || "no date";
  $("m-coded").textContent = view.coded ? "coded"
    : view.suggestions.length ? `${decided(view)} / ${view.suggestions.length} decided` : "not coded yet";
  $("m-coded").className = `badge${view.coded ? " coded" : ""}`;
  $("text").textContent = view.text;
  const focused = document.activeElement?.dataset?.n;
  const list = rows(view).map((row, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `tag ${row.state}`;
    button.dataset.n = String(i + 1);
    const label = S.tags.get(row.tag)?.name || row.tag;
    const name = Object.assign(document.createElement("span"), {className: "name", textContent: label});
    name.append(Object.assign(document.createElement("small"), {textContent: row.tag}));
    button.append(
      Object.assign(document.createElement("kbd"), {textContent: i < 9 ? String(i + 1) : ""}), name,
      Object.assign(document.createElement("span"), {className: "score", textContent: row.score === null ? "—" : row.score.toFixed(2)}),
      Object.assign(document.createElement("span"), {className: "state", textContent: {accept: "✓ accepted", reject: "✗ rejected", add: "+ added", removed: "removed", open: "undecided"}[row.state]}),
    );
    button.addEventListener("click", () => toggle(i + 1));
    button.addEventListener("focus", () => define(row.tag));
    button.addEventListener("mouseenter", () => define(row.tag));
    const li = document.createElement("li");
    li.append(button);
    return li;
  });
  if (!list.length) {
    list.push(Object.assign(document.createElement("li"), {className: "none", textContent: "No suggested tags. Press Enter if none applies, or t to add one."}));
  }
  $("tags").replaceChildren(...list);
  if (focused) focusRow(Number(focused));
}

function hashParams(pid) {
  const h = new URLSearchParams({coder: S.coder});
  for (const f of FILTERS) {
    const el = $(f);
    const value = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    if (value) h.set(f, value);
  }
  if (pid) h.set("p", pid);
  return h.toString();
}

function fillSelect(select, options, blank) {
  const value = select.value;
  const opts = options.map(([v, label]) => Object.assign(document.createElement("option"), {value: v, textContent: label}));
  select.replaceChildren(Object.assign(document.createElement("option"), {value: "", textContent: blank}), ...opts);
  if (options.some(([v]) => v === value)) select.value = value;
}

// -- keys and mouse

function key(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (!$("help").hidden) {
    if (["Escape", "?"].includes(e.key)) { e.preventDefault(); $("help").hidden = true; }
    return;
  }
  if (e.target.matches("input, select, textarea") || !S.coder) return;
  const actions = {
    a: () => all("accept"), x: () => all("reject"), t: openAdder, u: undo, "?": () => { $("help").hidden = false; },
    Enter: () => go(1), ArrowRight: () => go(1), ArrowLeft: () => go(-1),
  };
  if (/^[1-9]$/.test(e.key)) actions[e.key] = () => toggle(Number(e.key));
  if (!actions[e.key]) return;
  e.preventDefault();
  if (S.undoing) S.undoing.then(actions[e.key]);
  else actions[e.key]();
}

function chooseCoder(name) {
  S.coder = name;
  S.server.clear();
  S.unsaved.clear();
  $("coder").value = name;
  $("coder").blur();
  loadQueue();
}

async function start() {
  document.addEventListener("keydown", key);
  $("b-prev").onclick = () => go(-1);
  $("b-next").onclick = () => go(1);
  $("b-accept").onclick = () => all("accept");
  $("b-reject").onclick = () => all("reject");
  $("b-add").onclick = openAdder;
  $("b-undo").onclick = undo;
  $("help-button").onclick = () => { $("help").hidden = false; };
  $("help-close").onclick = () => { $("help").hidden = true; };
  $("coder").onchange = () => chooseCoder($("coder").value);
  for (const f of FILTERS) {
    $(f).addEventListener("change", () => { $(f).blur(); loadQueue(current()?.id); });
  }
  try {
    const [taxonomy, coders] = await Promise.all([api("/api/taxonomy"), api("/api/coders")]);
    for (const t of taxonomy.tags) S.tags.set(t.id, t);
    fillSelect($("tag"), taxonomy.tags.map((t) => [t.id, t.name]), "any");
    fillSelect($("coder"), coders.map((c) => [c, c]), "choose…");
    $("picker-names").replaceChildren(...coders.map((c) => {
      const b = Object.assign(document.createElement("button"), {type: "button", textContent: c});
      b.onclick = () => chooseCoder(c);
      return b;
    }));
    if (!coders.length) status("No coders yet: run `casetag review assign --coders NAME,...`.", true);
    // The hash holds coder, filters and paragraph, so a reload resumes where the coder was.
    const h = new URLSearchParams(location.hash.slice(1));
    for (const f of FILTERS) {
      if (!h.has(f)) continue;
      if ($(f).type === "checkbox") $(f).checked = h.get(f) === "1";
      else $(f).value = h.get(f);
    }
    if (!h.has("order")) $("order").value = "";
    if (h.get("doc")) fillSelect($("doc"), [[h.get("doc"), h.get("doc")]], "all");
    if (coders.includes(h.get("coder"))) {
      S.coder = h.get("coder");
      $("coder").value = S.coder;
      await loadQueue(h.get("p"));
    }
    render();
  } catch (e) {
    status(`Cannot reach the review server: ${e.message}`, true);
  }
}

start();
