// Reading page: mark read/unread in place, keep the scoring counts fresh while visible.
"use strict";
// 👍 / 👎: a second click on the pressed one clears it. Nothing is re-scored on a click; the
// feedback shapes the next prompts and the topic-weight suggestions.
document.getElementById("articles").addEventListener("click", async (event) => {
  const button = event.target.closest("button.fb");
  if (!button) return;
  const item = button.closest("li.article");
  const feedback = button.getAttribute("aria-pressed") === "true" ? null : button.dataset.fb;
  const result = await Sift.api("PATCH", `/api/articles/${item.dataset.id}`, { feedback });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  for (const b of item.querySelectorAll("button.fb")) b.setAttribute("aria-pressed", String(b.dataset.fb === feedback));
});

document.getElementById("articles").addEventListener("click", async (event) => {
  const button = event.target.closest("button.mark");
  if (!button) return;
  const item = button.closest("li.article");
  const makeRead = button.dataset.read !== "true";
  button.disabled = true;
  const result = await Sift.api("PATCH", `/api/articles/${item.dataset.id}`, { is_read: makeRead });
  button.disabled = false;
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  button.dataset.read = String(makeRead);
  button.setAttribute("aria-pressed", String(makeRead));
  button.textContent = makeRead ? "Mark unread" : "Mark read";
  item.classList.toggle("read", makeRead);
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
const list = document.getElementById("articles");
const more = document.getElementById("load-more");
function articleItem(a) {
  const li = document.createElement("li");
  li.className = `article${a.is_read ? " read" : ""}`;
  li.dataset.id = a.id;
  const score = document.createElement("div");
  score.className = "score";
  score.title = `Composite score (interest ${a.interest_score}, quality ${a.quality_score})`;
  score.textContent = a.composite_score === null ? "–" : a.composite_score.toFixed(1);
  const body = document.createElement("div");
  body.className = "body";
  const h2 = document.createElement("h2");
  const link = document.createElement("a");
  link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer"; link.textContent = a.title;
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
  const button = document.createElement("button");
  button.type = "button"; button.className = "mark";
  button.dataset.read = String(a.is_read); button.setAttribute("aria-pressed", String(a.is_read));
  button.textContent = a.is_read ? "Mark unread" : "Mark read";
  li.append(score, body, button);
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
