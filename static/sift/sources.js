// Interests, feeds and topic weights: each change goes through the API, errors shown in place.
"use strict";
const byId = (id) => document.getElementById(id);

byId("interests-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await Sift.api("PUT", "/api/preferences", {
    interests: byId("interests").value, anti_interests: byId("anti-interests").value,
  });
  const out = byId("interests-result");
  if (!result.ok) { out.className = "error"; out.textContent = Sift.message(result.data); return; }
  const n = result.data.rescore_queued;
  out.className = "";
  out.textContent = `Saved. ${n} recent unread article${n === 1 ? "" : "s"} will be re-scored (${n} LLM call${n === 1 ? "" : "s"}).`;
});

byId("feed-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = byId("feed-add-error");
  const button = event.target.querySelector("button");
  button.disabled = true; button.textContent = "Adding…";
  const result = await Sift.api("POST", "/api/feeds", { url: byId("feed-url").value.trim() });
  button.disabled = false; button.textContent = "Add feed";
  if (!result.ok) { error.textContent = Sift.message(result.data); error.hidden = false; byId("feed-url").focus(); return; }
  window.location.reload();
});

const feeds = byId("feeds");
if (feeds) feeds.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const row = button.closest("tr");
  const id = row.dataset.id;
  const action = button.dataset.action;
  let result;
  if (action === "rename") {
    result = await Sift.api("PATCH", `/api/feeds/${id}`, { title: row.querySelector(".feed-title").value });
    if (result.ok) Sift.toast("Renamed");
  } else if (action === "refresh") {
    result = await Sift.api("POST", `/api/feeds/${id}/refresh`);
    if (result.ok) Sift.toast(result.data.message);
  } else if (action === "remove") {
    if (!window.confirm("Remove this feed and its articles?")) return;
    result = await Sift.api("DELETE", `/api/feeds/${id}`);
    if (result.ok) row.remove();
  }
  if (result && !result.ok) Sift.toast(Sift.message(result.data));
});

byId("opml-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const form = new FormData(); form.append("file", file);
  const response = await fetch("/api/feeds/opml", { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": Sift.csrf } });
  const data = await response.json().catch(() => null);
  const out = byId("opml-result");
  if (!response.ok) { out.className = "error"; out.textContent = Sift.message(data); return; }
  out.className = "";
  out.textContent = `Imported ${data.created} feed${data.created === 1 ? "" : "s"}, skipped ${data.skipped}. They are fetched in the background; reload to see them.`;
});

byId("topics").addEventListener("change", async (event) => {
  const select = event.target.closest("select.weight");
  if (!select) return;
  const name = select.closest("tr").dataset.name;
  const result = await Sift.api("PATCH", `/api/categories/${encodeURIComponent(name)}/weight`, { weight: select.value });
  Sift.toast(result.ok ? `${name}: ${select.value}` : Sift.message(result.data));
});
