// Shared by the review and adjudication pages: the CSRF-protected JSON API and the status line.
"use strict";

const TOKEN = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": TOKEN},
  };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// The status line. A note or an error stays until the coder's next action; "All decisions
// saved." only replaces save progress, so a note shown while saves finish is not lost.
function status(message, isError = false, isSave = false) {
  const el = $("status");
  el.textContent = message;
  el.className = isError ? "error" : "";
  el.dataset.save = isSave ? "yes" : "";
}

const savingStarted = () => status("Saving…", false, true);

function savingFinished(pending) {
  if (pending === 0 && $("status").dataset.save) status("All decisions saved.", false, true);
}
