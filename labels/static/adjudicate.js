// casetag adjudication page: the paragraphs coders disagree on, each coder's labels side by
// side, and the adjudicator's final decision per tag by keyboard (labels/review.py's API).
// Paragraph text and tag names are only ever set with textContent.
"use strict";

const S = {who: "", queue: [], pos: 0, done: 0, views: new Map(), pending: new Map(),
           tags: new Map(), chain: Promise.resolve(), saving: 0};

// Steps are sent one after another; the page shows each at once and takes the server's view
// of a paragraph back only when no newer step on it is still under way.
function send(pid, path, body) {
  S.pending.set(pid, (S.pending.get(pid) || 0) + 1);
  S.saving++;
  savingStarted();
  const step = S.chain.then(() => api(path, body)).then((data) => {
    if (data.paragraph) setView(data.paragraph, S.pending.get(pid) === 1);
    return data;
  }, (e) => status(`Not saved: ${e.message}`, true)).finally(() => {
    S.pending.set(pid, S.pending.get(pid) - 1);
    savingFinished(--S.saving);
    render();
  });
  S.chain = step;
  return step;
}

function setView(view, replace = true) {
  const item = S.queue.find((i) => i.id === view.id);
  if (item && item.coded !== view.done) { S.done += view.done ? 1 : -1; item.coded = view.done; }
  if (replace || !S.views.has(view.id)) S.views.set(view.id, view);
}

const decided = (v, tag) => ["accept", "add", "reject"].includes(v.state[tag]);
const open = (v) => v.disputed.filter((t) => !decided(v, t));

// Rows: disputed tags, then tags every coder gave, then any other tag the adjudicator decided.
function rows(v) {
  const all = Object.values(v.coders);
  const agreed = [...new Set(all.flat())].filter((t) => !v.disputed.includes(t)).sort();
  const other = Object.keys(v.state).filter((t) => t && !v.disputed.includes(t) && !agreed.includes(t));
  return [...v.disputed, ...agreed, ...other];
}

function decide(changes) {
  const v = current();
  if (!v || !changes.length) return;
  for (const [tag, action] of changes) {
    const suggested = v.suggestions.some(([t]) => t === tag);
    v.state[tag] = action === "accept" && !suggested ? "add" : action;
  }
  v.done = v.state[""] === "done" && open(v).length === 0;
  render();
  send(v.id, "/api/adjudicate", {adjudicator: S.who, paragraph_id: v.id, changes});
}

function toggle(n) {
  const v = current();
  const tag = v && rows(v)[n - 1];
  if (!tag) return;
  decide([[tag, ["accept", "add"].includes(v.state[tag]) ? "reject" : "accept"]]);
}

function go(delta) {
  const v = current();
  let note = "";
  if (delta > 0 && v && !v.done) {
    const left = open(v);
    if (left.length) note = `${v.id} not adjudicated yet: decide ${left.join(", ")}. `;
    else decide([["", "done"]]);
  }
  const next = S.pos + delta;
  if (next >= S.queue.length) return status(`${note}End of the disagreements. Go back with ←.`);
  if (note) status(note);
  if (next < 0) return;
  S.pos = next;
  show();
}

function undo() {
  send("", "/api/undo", {coder: S.who, adjudicated: true}).then((data) => {
    if (!data) return;
    if (!data.paragraph) return status("Nothing to undo.");
    const at = S.queue.findIndex((i) => i.id === data.paragraph.id);
    if (at >= 0) { S.pos = at; render(); }
  });
}

const current = () => S.queue[S.pos] && S.views.get(S.queue[S.pos].id);

async function show() {
  const ids = S.queue.slice(S.pos, S.pos + 5).map((i) => i.id).filter((id) => !S.views.has(id));
  render();
  if (ids.length) {
    const params = new URLSearchParams({adjudicator: S.who, ids: ids.join(",")});
    try {
      for (const v of await api(`/api/adjudication?${params}`)) setView(v);
    } catch (e) { status(e.message, true); }
  }
  render();
}

function cell(text, className = "") {
  return Object.assign(document.createElement("td"), {textContent: text, className});
}

function render() {
  $("progress-text").textContent = S.who ? `${S.done} / ${S.queue.length} adjudicated` : "";
  $("progress-fill").style.width = S.queue.length ? `${(100 * S.done) / S.queue.length}%` : "0";
  const v = current();
  $("card").hidden = !v;
  $("empty").hidden = !!v;
  if (S.who && !S.queue.length) $("empty-text").textContent = "No disagreements to adjudicate.";
  if (!v) return;
  location.replace(`#${new URLSearchParams({adjudicator: S.who, p: v.id})}`);
  $("m-doc").textContent = v.doc_id;
  $("m-para").textContent = v.para_id;
  $("m-section").textContent = v.section;
  $("m-date").textContent = v.date || "no date";
  $("m-done").textContent = v.done ? "adjudicated" : `${v.disputed.length - open(v).length} / ${v.disputed.length} decided`;
  $("m-done").className = `badge${v.done ? " coded" : ""}`;
  $("text").textContent = v.text;
  const coders = Object.keys(v.coders);
  $("heads").replaceChildren(...["", "tag", "score", ...coders, "final"].map(
    (h) => Object.assign(document.createElement("th"), {textContent: h})));
  $("rows").replaceChildren(...rows(v).map((tag, i) => {
    const tr = document.createElement("tr");
    tr.className = v.disputed.includes(tag) ? "disputed" : "";
    const kbd = Object.assign(document.createElement("kbd"), {textContent: i < 9 ? String(i + 1) : ""});
    const first = document.createElement("td");
    first.append(kbd);
    const score = v.scores[tag];
    const action = v.state[tag];
    const final = action ? {accept: "✓ yes", add: "✓ yes", reject: "✗ no"}[action]
      : v.disputed.includes(tag) ? "undecided" : "agreed ✓";
    tr.append(first, cell(S.tags.get(tag) || tag), cell(score === undefined ? "—" : score.toFixed(2)),
      ...coders.map((c) => v.coders[c].includes(tag) ? cell("✓", "yes") : cell("–", "no")),
      cell(final, `final ${action || ""}`));
    tr.addEventListener("click", () => toggle(i + 1));
    return tr;
  }));
}

function key(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.matches("input, select") || !S.who) return;
  const actions = {u: undo, Enter: () => go(1), ArrowRight: () => go(1), ArrowLeft: () => go(-1)};
  if (/^[1-9]$/.test(e.key)) actions[e.key] = () => toggle(Number(e.key));
  if (!actions[e.key]) return;
  e.preventDefault();
  actions[e.key]();
}

async function choose(name, keep) {
  S.who = name;
  S.views.clear();
  $("adjudicator").value = name;
  $("adjudicator").blur();
  try {
    const q = await api(`/api/disputes?${new URLSearchParams({adjudicator: name})}`);
    S.queue = q.items;
    S.done = q.coded;
    const at = S.queue.findIndex((i) => i.id === keep);
    S.pos = at >= 0 ? at : Math.max(S.queue.findIndex((i) => !i.coded), 0);
    await show();
  } catch (e) { status(e.message, true); }
}

async function start() {
  document.addEventListener("keydown", key);
  $("b-prev").onclick = () => go(-1);
  $("b-next").onclick = () => go(1);
  $("b-undo").onclick = undo;
  $("adjudicator").onchange = () => choose($("adjudicator").value);
  try {
    const [taxonomy, names] = await Promise.all([api("/api/taxonomy"), api("/api/adjudicators")]);
    for (const t of taxonomy.tags) S.tags.set(t.id, t.name);
    $("adjudicator").append(...names.map((n) => Object.assign(document.createElement("option"), {value: n, textContent: n})));
    if (!names.length) status("No adjudicators yet: run `casetag review assign --adjudicator NAME`.", true);
    const h = new URLSearchParams(location.hash.slice(1));
    if (names.includes(h.get("adjudicator"))) await choose(h.get("adjudicator"), h.get("p"));
  } catch (e) {
    status(`Cannot reach the review server: ${e.message}`, true);
  }
}

start();
