// Reading page: mark read/unread in place, keep the scoring counts fresh while visible.
"use strict";
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
