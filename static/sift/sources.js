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

// Add a feed by its address or its site's: a site naming several feeds offers the choice.
async function addFeed(url) {
  const error = byId("feed-add-error");
  const button = byId("feed-add").querySelector("button");
  button.disabled = true; button.textContent = "Adding…";
  const result = await Sift.api("POST", "/api/feeds", { url });
  button.disabled = false; button.textContent = "Add feed";
  if (result.ok) { window.location.reload(); return; }
  const choices = (result.data && result.data.choices) || [];
  if (choices.length) {
    const list = byId("feed-choice-list");
    list.replaceChildren(...choices.map((c, i) => {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio"; radio.name = "feed-choice"; radio.value = c.url; radio.checked = i === 0;
      label.append(radio, ` ${c.title || c.url} (${c.kind}) `);
      const small = document.createElement("span"); small.className = "muted"; small.textContent = c.url;
      label.append(small);
      return label;
    }));
    byId("feed-choices").hidden = false;
    error.hidden = true;
    return;
  }
  error.textContent = Sift.message(result.data); error.hidden = false; byId("feed-url").focus();
}
byId("feed-add").addEventListener("submit", (event) => { event.preventDefault(); addFeed(byId("feed-url").value.trim()); });
byId("feed-choose").addEventListener("click", () => {
  const chosen = document.querySelector('input[name="feed-choice"]:checked');
  if (chosen) addFeed(chosen.value);
});

byId("mark-read-on-open").addEventListener("change", async (event) => {
  const result = await Sift.api("PUT", "/api/preferences", { mark_read_on_open: event.target.checked });
  Sift.toast(result.ok ? (event.target.checked ? "Opening an article now marks it read" : "Opening an article leaves it unread") : Sift.message(result.data));
});

byId("folder-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await Sift.api("POST", "/api/folders", { name: byId("folder-name").value });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  window.location.reload();
});
byId("folder-add").addEventListener("click", async (event) => {
  const button = event.target.closest('button[data-action="remove-folder"]');
  if (!button) return;
  const chip = button.closest(".folder");
  if (!window.confirm(`Remove the folder "${chip.firstChild.textContent.trim()}"? Its feeds stay.`)) return;
  const result = await Sift.api("DELETE", `/api/folders/${chip.dataset.id}`);
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  window.location.reload();
});

const feeds = byId("feeds");
if (feeds) feeds.addEventListener("change", async (event) => {
  const select = event.target.closest("select.feed-folder");
  if (!select) return;
  const id = select.closest("tr").dataset.id;
  const result = await Sift.api("PATCH", `/api/feeds/${id}`, { folder_id: select.value ? Number(select.value) : null });
  Sift.toast(result.ok ? "Moved" : Sift.message(result.data));
});
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
  } else if (action === "full-text") {
    result = await Sift.api("PATCH", `/api/feeds/${id}`, {
      full_text: row.querySelector(".ft-mode").value,
      full_text_selector: row.querySelector(".ft-selector").value,
      full_text_remove: row.querySelector(".ft-remove").value,
      full_text_combine: row.querySelector(".ft-combine").value,
    });
    if (result.ok) Sift.toast("Full text settings saved");
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
  const refused = (data.refused || []).map((r) => `${r.url}: ${r.reason}`);
  out.textContent = `Imported ${data.created} feed${data.created === 1 ? "" : "s"}, skipped ${data.skipped} (already subscribed or not http(s)).`
    + (refused.length ? ` Refused ${refused.length}: ${refused.join("; ")}` : "") + " Reload to see them.";
});

async function loadSuggestions() {
  const list = byId("suggestions");
  const [suggestions, cost] = await Promise.all([
    Sift.api("GET", "/api/topics/suggestions"),
    Sift.api("POST", "/api/scoring/rescore?dry_run=1", { mode: "score_only" }),
  ]);
  list.innerHTML = "";
  if (suggestions.ok && !suggestions.data.length) list.innerHTML = '<li class="muted">No feedback yet: mark articles 👍 or 👎 on the reading list.</li>';
  for (const s of suggestions.ok ? suggestions.data : []) {
    const li = document.createElement("li");
    li.dataset.name = s.name;
    const text = document.createElement("span");
    text.textContent = `${s.name}: 👍 ${s.liked} · 👎 ${s.disliked} · now ${s.weight}. ${s.reason}`;
    li.append(text);
    if (s.suggested_weight) {
      const apply = document.createElement("button");
      apply.type = "button"; apply.className = "apply";
      apply.textContent = `Make it ${s.suggested_weight}`;
      apply.addEventListener("click", async () => {
        const result = await Sift.api("PATCH", `/api/categories/${encodeURIComponent(s.name)}/weight`, { weight: s.suggested_weight });
        Sift.toast(result.ok ? `${s.name}: ${s.suggested_weight} — the list is re-ranked` : Sift.message(result.data));
        const select = document.querySelector(`#topics tr[data-name="${CSS.escape(s.name)}"] select`);
        if (result.ok && select) select.value = s.suggested_weight;
        if (result.ok) loadSuggestions();
      });
      li.append(apply);
    }
    list.append(li);
  }
  if (cost.ok) byId("feedback-rescore-cost").textContent = `${cost.data.articles} article${cost.data.articles === 1 ? "" : "s"}, at most ${cost.data.llm_calls} LLM call${cost.data.llm_calls === 1 ? "" : "s"}.`;
}
byId("feedback-rescore").addEventListener("click", async () => {
  const result = await Sift.api("POST", "/api/scoring/rescore", { mode: "score_only" });
  byId("feedback-rescore-cost").textContent = result.ok ? `${result.data.queued} queued ahead of other work.` : Sift.message(result.data);
});
loadSuggestions();

byId("topics").addEventListener("change", async (event) => {
  const select = event.target.closest("select.weight");
  if (!select) return;
  const name = select.closest("tr").dataset.name;
  const result = await Sift.api("PATCH", `/api/categories/${encodeURIComponent(name)}/weight`, { weight: select.value });
  Sift.toast(result.ok ? `${name}: ${select.value}` : Sift.message(result.data));
});
