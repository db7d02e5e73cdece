// Reading page: mark read/unread and star in place, mark all read, keyboard shortcuts, and
// keep the scoring counts fresh while visible.
"use strict";
const list = document.getElementById("articles");
// 👍 / 👎: a second click on the pressed one clears it. Nothing is re-scored on a click; the
// feedback shapes the next prompts and the topic-weight suggestions.
list.addEventListener("click", async (event) => {
  const button = event.target.closest("button.fb");
  if (!button) return;
  const item = button.closest("li.article");
  const feedback = button.getAttribute("aria-pressed") === "true" ? null : button.dataset.fb;
  const result = await Sift.api("PATCH", `/api/articles/${item.dataset.id}`, { feedback });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  for (const b of item.querySelectorAll("button.fb")) b.setAttribute("aria-pressed", String(b.dataset.fb === feedback));
  // A 👎 multiplies the score by 0.25: the article takes its new place in the list at once.
  const score = result.data.composite_score;
  if (score === null || score === undefined) return;
  item.dataset.score = String(score);
  item.querySelector(".score-value").textContent = score.toFixed(1);
  if (list.dataset.sort !== "composite_score") return;
  const after = [...list.querySelectorAll("li.article")].filter((li) => li !== item && Number(li.dataset.score) >= score);
  const anchor = after.length ? after[after.length - 1] : null;
  if (anchor) anchor.after(item); else list.prepend(item);
  if (feedback === "down") Sift.toast("Less like this: moved down, and the next scores hear it.");
});

async function setRead(item, makeRead) {
  const button = item.querySelector("button.mark");
  if ((button.dataset.read === "true") === makeRead) return;
  button.disabled = true;
  const result = await Sift.api("PATCH", `/api/articles/${item.dataset.id}`, { is_read: makeRead });
  button.disabled = false;
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  button.dataset.read = String(makeRead);
  button.setAttribute("aria-pressed", String(makeRead));
  button.textContent = makeRead ? "Mark unread" : "Mark read";
  item.classList.toggle("read", makeRead);
}

async function toggleStar(item) {
  const star = item.querySelector("button.star");
  const starred = star.getAttribute("aria-pressed") !== "true";
  const result = await Sift.api("PATCH", `/api/articles/${item.dataset.id}`, { is_starred: starred });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  star.setAttribute("aria-pressed", String(starred));
  star.textContent = starred ? "★" : "☆";
}

list.addEventListener("click", (event) => {
  const item = event.target.closest("li.article");
  if (!item) return;
  if (event.target.closest("button.mark")) setRead(item, item.querySelector("button.mark").dataset.read !== "true");
  else if (event.target.closest("button.star")) toggleStar(item);
  else if (event.target.closest("a.open") && list.dataset.markOnOpen === "true") setRead(item, true);
});
// A middle click opens a tab too: it counts as opening.
list.addEventListener("auxclick", (event) => {
  const item = event.target.closest("li.article");
  if (item && event.button === 1 && event.target.closest("a.open") && list.dataset.markOnOpen === "true") setRead(item, true);
});

// Mark all these read (the list's filters), or those older than a day or a week.
async function markRead(extra) {
  const filters = JSON.parse(document.getElementById("mark-actions").dataset.filters || "{}");
  const result = await Sift.api("POST", "/api/articles/mark-read", { ...filters, ...extra });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  Sift.toast(result.data.message);
  window.location.reload();
}
document.getElementById("mark-all").addEventListener("click", () => markRead({ all: true }));
document.getElementById("mark-older-go").addEventListener("click", () => markRead({ older_than_days: Number(document.getElementById("mark-older").value) }));

const scoreSkipped = document.getElementById("score-skipped");
if (scoreSkipped) scoreSkipped.addEventListener("click", async () => {
  scoreSkipped.disabled = true;
  const result = await Sift.api("POST", "/api/scoring/rescore", { skipped: true });
  if (!result.ok) { scoreSkipped.disabled = false; Sift.toast(Sift.message(result.data)); return; }
  Sift.toast(`${result.data.queued} older articles queued; they appear as they are scored.`);
});

// Keyboard (Miniflux's keys): j/k move, o opens, m read/unread, s star, +/- feedback, / search.
const keys = document.getElementById("keys");
document.getElementById("show-keys").addEventListener("click", () => keys.showModal());
let current = null;
function select(item) {
  if (!item) return;
  if (current) current.classList.remove("current");
  current = item;
  item.classList.add("current");
  item.scrollIntoView({ block: "nearest" });
  item.querySelector("a.open").focus({ preventScroll: true });
}
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (keys.open && event.key !== "?") return;
  const items = [...list.querySelectorAll("li.article")];
  const at = current ? items.indexOf(current) : -1;
  const key = event.key;
  if (key === "j") select(items[Math.min(at + 1, items.length - 1)]);
  else if (key === "k") select(items[Math.max(at - 1, 0)]);
  else if (key === "?") { if (keys.open) keys.close(); else keys.showModal(); }
  else if (key === "/") document.getElementById("f-q").focus();
  else if (!current) return;
  else if (key === "o") { window.open(current.querySelector("a.open").href, "_blank", "noopener"); if (list.dataset.markOnOpen === "true") setRead(current, true); }
  else if (key === "m") setRead(current, current.querySelector("button.mark").dataset.read !== "true");
  else if (key === "s") toggleStar(current);
  else if (key === "+" || key === "=") current.querySelector('button.fb[data-fb="up"]').click();
  else if (key === "-") current.querySelector('button.fb[data-fb="down"]').click();
  else return;
  event.preventDefault();
});

async function refreshCounts() {
  if (document.visibilityState !== "visible") return;
  const { ok, data } = await Sift.api("GET", "/api/scoring/status");
  if (!ok) return;
  document.querySelector('[data-count="pending"]').textContent = data.unscored + data.queued + data.scoring;
  document.querySelector('[data-count="failed"]').textContent = data.failed;
}
setInterval(refreshCounts, 15000);
document.addEventListener("visibilitychange", refreshCounts);

// "Load more": the next page from the API with the same filters, rendered like the server's.
const more = document.getElementById("load-more");
function articleItem(a) {
  const li = document.createElement("li");
  li.className = `article${a.is_read ? " read" : ""}`;
  li.dataset.id = a.id;
  const score = document.createElement("div");
  score.className = "score";
  score.title = `Score out of 20 (interest ${a.interest_score}, quality ${a.quality_score})`;
  li.dataset.score = a.composite_score === null ? "-1" : String(a.composite_score);
  const value = document.createElement("span");
  value.className = "score-value";
  value.textContent = a.composite_score === null ? "–" : a.composite_score.toFixed(1);
  const scale = document.createElement("span");
  scale.className = "scale"; scale.textContent = "/ 20";
  score.append(value, scale);
  const body = document.createElement("div");
  body.className = "body";
  const h2 = document.createElement("h2");
  const link = document.createElement("a");
  link.className = "open"; link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer"; link.textContent = a.title;
  h2.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = a.feed_title + (a.published_at ? ` · ${new Date(a.published_at).toLocaleString()}` : "");
  for (const c of a.categories || []) { const chip = document.createElement("span"); chip.className = "chip"; chip.textContent = c; meta.append(chip); }
  for (const s of (a.sources || []).slice(1)) {
    const chip = document.createElement("a");
    chip.className = "chip source"; chip.href = s.url; chip.target = "_blank"; chip.rel = "noopener noreferrer";
    chip.title = "The same story, from another feed"; chip.textContent = `also in ${s.feed_title}`;
    meta.append(chip);
  }
  const fb = document.createElement("span");
  fb.className = "feedback"; fb.setAttribute("role", "group"); fb.setAttribute("aria-label", "Feedback");
  for (const [value, text, label] of [["up", "👍 more", "More like this"], ["down", "👎 less", "Less like this"]]) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "fb"; b.dataset.fb = value; b.textContent = text;
    b.title = label; b.setAttribute("aria-label", label); b.setAttribute("aria-pressed", String(a.feedback === value));
    fb.append(b);
  }
  meta.append(fb);
  body.append(h2, meta);
  if (a.score_reasoning) { const p = document.createElement("p"); p.className = "reason"; p.textContent = a.score_reasoning; body.append(p); }
  const why = document.createElement("p");
  why.className = "why";
  const ex = a.explanation || {};
  for (const p of ex.matched_interests || []) { const c = document.createElement("span"); c.className = "chip match"; c.textContent = `✓ ${p}`; why.append(c); }
  for (const p of ex.matched_anti_interests || []) { const c = document.createElement("span"); c.className = "chip anti"; c.textContent = `✗ ${p}`; why.append(c); }
  const detail = document.createElement("span");
  detail.className = "muted";
  detail.textContent = Object.entries(ex.weights || {}).map(([k, v]) => `${k}: ${v}`).join(", ") + (ex.quality_factor != null ? ` · quality ×${ex.quality_factor}` : "");
  why.append(detail);
  body.append(why);
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  const star = document.createElement("button");
  star.type = "button"; star.className = "star"; star.title = "Star: keep for later (s)";
  star.setAttribute("aria-label", "Star"); star.setAttribute("aria-pressed", String(a.is_starred));
  star.textContent = a.is_starred ? "★" : "☆";
  const button = document.createElement("button");
  button.type = "button"; button.className = "mark";
  button.dataset.read = String(a.is_read); button.setAttribute("aria-pressed", String(a.is_read));
  button.textContent = a.is_read ? "Mark unread" : "Mark read";
  buttons.append(star, button);
  li.append(score, body, buttons);
  return li;
}
if (more) more.addEventListener("click", async () => {
  const skip = Number(list.dataset.nextSkip);
  const query = new URLSearchParams(list.dataset.query);
  query.set("skip", String(skip)); query.set("limit", "50");
  more.disabled = true;
  const { ok, data } = await Sift.api("GET", `/api/articles?${query}`);
  more.disabled = false;
  if (!ok) { Sift.toast(Sift.message(data)); return; }
  for (const a of data) list.append(articleItem(a));
  list.dataset.nextSkip = String(skip + data.length);
  if (data.length < 50) { more.hidden = true; Sift.toast("That is everything for now."); }
});
