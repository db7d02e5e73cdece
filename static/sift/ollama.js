// The Ollama settings page. Everything goes through the documented API (/api/ollama/*,
// /api/settings); download progress lives on the server, so a reload reattaches to it.
"use strict";
const SUGGESTED = ["qwen3:1.7b", "qwen3:4b", "qwen3:8b", "gemma3:4b", "llama3.2:3b"];
const $ = (id) => document.getElementById(id);
const state = { models: [], served: [], config: null, saved: null, inUse: {}, healthTimer: null, pollTimer: null, samples: [] };

// --- health --------------------------------------------------------------------------------
async function checkHealth() {
  if (document.visibilityState !== "visible") return;
  const badge = $("health");
  const { ok, data } = await Sift.api("GET", "/api/ollama/health");
  const connected = ok && data.connected;
  badge.className = "badge " + (connected ? "ok" : "down");
  badge.textContent = connected ? `Connected · v${data.version} · ${data.latency_ms} ms` : "Disconnected";
  const wasHidden = $("connected-panels").hidden;
  $("disconnected").hidden = connected;
  $("connected-panels").hidden = !connected;
  if (!state.config || (connected && (wasHidden || !state.models.length))) await loadModels();
}
document.addEventListener("visibilitychange", checkHealth);

// --- models and configuration ----------------------------------------------------------------
function label(m) { return `${m.name} — ${Sift.bytes(m.size)}${m.is_loaded ? " (loaded)" : ""}`; }

async function loadModels() {
  const [models, config] = await Promise.all([Sift.api("GET", "/api/ollama/models"), Sift.api("GET", "/api/ollama/config")]);
  if (!config.ok) return;
  // Ollama down: the configuration still works with the other providers' models.
  state.models = models.ok ? models.data : [];
  state.config = config.data;
  state.saved = JSON.stringify(config.data);
  state.inUse = {};
  state.inUse[config.data.categorization_model] = "categorization";
  state.inUse[config.data.scoring_model] = state.inUse[config.data.scoring_model] || "scoring";
  renderConfig();
  renderLibrary();
}

function fillSelect(select, value) {
  select.innerHTML = "";
  const names = state.models.map((m) => m.name).concat(state.served.map((m) => m.id));
  if (value && !names.includes(value)) names.unshift(value);
  for (const name of names) {
    const model = state.models.find((m) => m.name === name);
    const served = state.served.find((m) => m.id === name);
    const text = model ? label(model) : served ? `${served.name} — OpenAI-compatible server` : `${name} (not installed)`;
    const option = new Option(text, name);
    option.selected = name === value;
    select.add(option);
  }
}

function renderConfig() {
  const c = state.config;
  fillSelect($("cat-model"), c.categorization_model);
  fillSelect($("score-model"), c.scoring_model);
  $("separate-row").hidden = state.models.length + state.served.length < 2;
  $("use-separate").checked = c.use_separate_models;
  $("score-row").hidden = !c.use_separate_models;
  $("single-hint").hidden = c.use_separate_models;
  markDirty();
}

function currentConfig() {
  const separate = $("use-separate").checked;
  const cat = $("cat-model").value;
  return { categorization_model: cat, scoring_model: separate ? $("score-model").value : cat, use_separate_models: separate };
}
function markDirty() { $("config-save").disabled = JSON.stringify(currentConfig()) === state.saved; }

$("cat-model").addEventListener("change", markDirty);
$("score-model").addEventListener("change", markDirty);
$("use-separate").addEventListener("change", () => {
  const on = $("use-separate").checked;
  $("score-row").hidden = !on;
  $("single-hint").hidden = on;
  if (!on) $("score-model").value = $("cat-model").value;
  markDirty();
});

$("config-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await Sift.api("PUT", "/api/ollama/config", { ...currentConfig(), rescore: false });
  if (!result.ok) { $("config-result").textContent = Sift.message(result.data); return; }
  const { rescore_queued, ...saved } = result.data;
  state.config = saved;
  state.saved = JSON.stringify(saved);
  markDirty();
  $("config-result").textContent = "Saved. New articles use these models.";
  $("rescore").hidden = false;
  $("rescore").disabled = false;
});

$("rescore").addEventListener("click", async () => {
  $("rescore").disabled = true;
  const result = await Sift.api("PUT", "/api/ollama/config", { ...currentConfig(), rescore: true });
  if (!result.ok) { $("config-result").textContent = Sift.message(result.data); $("rescore").disabled = false; return; }
  const text = `${result.data.rescore_queued} articles queued for re-evaluation`;
  $("config-result").textContent = text;
  Sift.toast(text);
});

// --- library -------------------------------------------------------------------------------
function renderLibrary() {
  const installed = $("installed");
  installed.innerHTML = "";
  for (const m of state.models) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = label(m);
    li.append(name);
    const role = state.inUse[m.name];
    if (role) {
      const tag = document.createElement("span");
      tag.className = "muted";
      tag.textContent = `in use (${role})`;
      li.append(tag);
    } else {
      const del = document.createElement("button");
      del.type = "button";
      del.textContent = "Delete";
      del.setAttribute("aria-label", `Delete ${m.name}`);
      del.addEventListener("click", () => deleteModel(m.name));
      li.append(del);
    }
    installed.append(li);
  }
  const suggested = $("suggested");
  suggested.innerHTML = "";
  const names = state.models.map((m) => m.name);
  for (const name of SUGGESTED) {
    const li = document.createElement("li");
    const span = document.createElement("span");
    span.textContent = name;
    li.append(span);
    if (names.includes(name)) {
      const done = document.createElement("span");
      done.className = "muted";
      done.textContent = "Installed";
      li.append(done);
    } else {
      const pull = document.createElement("button");
      pull.type = "button";
      pull.textContent = "Pull";
      pull.setAttribute("aria-label", `Pull ${name}`);
      pull.addEventListener("click", () => startPull(name));
      li.append(pull);
    }
    suggested.append(li);
  }
}

async function deleteModel(name) {
  if (!window.confirm(`Delete ${name} from Ollama? It can be pulled again later.`)) return;
  const result = await Sift.api("DELETE", `/api/ollama/models/${name}`);
  Sift.toast(result.ok ? `${name} deleted` : Sift.message(result.data));
  await loadModels();
}

$("custom-pull").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("custom-name").value.trim().replace(/^ollama (run|pull) /, "");
  if (name) startPull(name);
});

// --- downloads -------------------------------------------------------------------------------
function showProgress(p) {
  $("download").hidden = false;
  $("dl-error").hidden = true;
  $("dl-model").textContent = p.model || $("dl-model").textContent;
  const percent = Math.min(100, p.percent || 0);
  $("dl-bar").style.width = `${percent}%`;
  document.querySelector("#download .bar").setAttribute("aria-valuenow", String(Math.round(percent)));
  $("dl-percent").textContent = `${percent.toFixed(1)}%`;
  // Bytes, and of what: Ollama announces layers as it reaches them, so the total can grow.
  const known = p.more_layers_possible ? " known so far (more layers may follow)" : "";
  $("dl-bytes").textContent = p.total ? `${Sift.bytes(p.completed || 0)} of ${Sift.bytes(p.total)}${known}` : `${Sift.bytes(p.completed || 0)}`;
  setPullsEnabled(false, $("dl-model").textContent);
  $("dl-status").textContent = p.status || "";
  // Speed over a 2 s window of (time, bytes) samples; ETA from what is left.
  const now = performance.now();
  state.samples.push([now, p.completed || 0]);
  state.samples = state.samples.filter(([t]) => now - t <= 2000);
  const [t0, b0] = state.samples[0];
  const speed = now > t0 ? ((p.completed || 0) - b0) / ((now - t0) / 1000) : 0;
  $("dl-speed").textContent = speed > 0 ? `${Sift.bytes(speed)}/s` : "–";
  const left = (p.total || 0) - (p.completed || 0);
  $("dl-eta").textContent = speed > 0 && left > 0 ? `${Math.ceil(left / speed)} s` : "–";
}

// One download at a time: while one runs, the other Pull buttons say why they wait.
function setPullsEnabled(enabled, running) {
  const reason = enabled ? "" : `${running} is downloading; one model is pulled at a time.`;
  for (const button of document.querySelectorAll("#suggested button, #custom-pull button")) {
    button.disabled = !enabled;
    button.title = reason;
  }
  $("pull-busy").textContent = reason;
  $("pull-busy").hidden = enabled;
}

function endDownload(p) {
  setPullsEnabled(true);
  clearInterval(state.pollTimer);
  state.pollTimer = null;
  state.samples = [];
  $("download").hidden = true;
  if (p.state === "cancelled") Sift.toast("Download cancelled");
  else if (p.status === "error") { $("dl-error").textContent = `Download failed: ${p.error}`; $("dl-error").hidden = false; }
  else Sift.toast(`${$("dl-model").textContent} is ready`);
  loadModels();
}

async function startPull(name) {
  $("pull-refused").hidden = true;
  const running = !$("download").hidden;
  if (!running) {
    $("dl-model").textContent = name;
    showProgress({ model: name, percent: 0, status: "starting" });
  }
  // EventSource cannot POST, so the event stream is read with fetch.
  const response = await fetch("/api/ollama/models/pull", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": Sift.csrf },
    body: JSON.stringify({ model: name }),
  });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    // A refusal (another model downloading, Ollama down) stays on screen; a download
    // already running keeps its progress box.
    if (!running) { $("download").hidden = true; setPullsEnabled(true); }
    $("pull-refused").textContent = Sift.message(data);
    $("pull-refused").hidden = false;
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const chunk = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (!chunk.startsWith("data: ")) continue;
      const event = JSON.parse(chunk.slice(6));
      if (["complete", "error", "cancelled"].includes(event.state)) { endDownload(event); return; }
      showProgress({ ...event, model: name });
    }
  }
  reattach();  // the stream closed early (proxy, network): follow the server-side state
}

async function reattach() {
  const poll = async () => {
    const { ok, data } = await Sift.api("GET", "/api/ollama/download-status");
    if (!ok) return;
    if (data.active) { showProgress({ ...data, status: data.detail || data.status }); return; }
    if (state.pollTimer && data.model) endDownload({ ...data, state: data.status });
  };
  const { ok, data } = await Sift.api("GET", "/api/ollama/download-status");
  if (ok && data.active) {
    showProgress({ ...data, status: data.detail || data.status });
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(poll, 1000);
  }
}

$("dl-cancel").addEventListener("click", async () => {
  $("dl-cancel").disabled = true;
  const result = await Sift.api("POST", "/api/ollama/models/pull/cancel");
  $("dl-cancel").disabled = false;
  if (!result.ok) Sift.toast(Sift.message(result.data));
});

// --- prompts and providers -----------------------------------------------------------------
async function loadPrompts() {
  const { ok, data } = await Sift.api("GET", "/api/ollama/prompts");
  if (!ok) return;
  $("prompt-cat").textContent = data.categorization_prompt;
  $("prompt-score").textContent = data.scoring_prompt;
}

let enabledModels = [];
function renderEnabled() {
  const list = $("enabled-models");
  list.innerHTML = "";
  enabledModels.forEach((m, i) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = m.id;
    const enabled = document.createElement("label");
    enabled.className = "switch";
    enabled.innerHTML = `<input type="checkbox" ${m.enabled ? "checked" : ""}> enabled`;
    enabled.querySelector("input").addEventListener("change", (e) => { m.enabled = e.target.checked; });
    const vision = document.createElement("label");
    vision.className = "switch";
    vision.innerHTML = `<input type="checkbox" ${m.vision ? "checked" : ""}> vision`;
    vision.querySelector("input").addEventListener("change", (e) => { m.vision = e.target.checked; });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${m.id}`);
    remove.addEventListener("click", () => { enabledModels.splice(i, 1); renderEnabled(); });
    li.append(name, enabled, vision, remove);
    list.append(li);
  });
}

async function loadProviders() {
  const [settings, models] = await Promise.all([Sift.api("GET", "/api/settings"), Sift.api("GET", "/api/settings/models")]);
  if (!settings.ok) return;
  const s = settings.data;
  $(s.ollama_use_cloud ? "mode-cloud" : "mode-local").checked = true;
  $("endpoint").value = s.ollama_endpoint || "";
  $("api-key").value = "";
  $("api-key").placeholder = s.has_ollama_key ? "key is set — leave blank to keep" : "paste your ollama.com key";
  $("key-state").textContent = s.has_ollama_key ? "An API key is stored (it is never shown)." : "No API key stored.";
  $("clear-key").checked = false;
  enabledModels = s.ollama_models.map((m) => ({ ...m }));
  renderEnabled();
  const gemini = models.ok ? models.data.gemini : [];
  $("gemini-state").textContent = gemini.length
    ? `Gemini is configured: ${gemini.map((m) => m.id).join(", ")}.`
    : "Gemini is not configured (set GEMINI_API_KEY, or GOOGLE_GENAI_USE_VERTEXAI and GOOGLE_CLOUD_PROJECT).";
}

$("add-model-btn").addEventListener("click", () => {
  let name = $("add-model").value.trim();
  if (!name) return;
  const id = name.startsWith("ollama/") ? name : `ollama/${name}`;
  if (!enabledModels.some((m) => m.id === id)) enabledModels.push({ id, label: id.slice(7), enabled: true, vision: /vision|llava/i.test(id) });
  $("add-model").value = "";
  renderEnabled();
});

$("provider-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    ollama_use_cloud: $("mode-cloud").checked,
    ollama_endpoint: $("endpoint").value.trim(),
    ollama_models: enabledModels,
  };
  if ($("api-key").value) body.ollama_api_key = $("api-key").value;
  if ($("clear-key").checked) body.clear_ollama_key = true;
  const result = await Sift.api("PUT", "/api/settings", body);
  $("provider-result").textContent = result.ok ? "Saved." : Sift.message(result.data);
  if (result.ok) { await loadProviders(); checkHealth(); }
});

// --- the OpenAI-compatible server ---------------------------------------------------------------
async function loadOpenAI() {
  const [settings, health] = await Promise.all([Sift.api("GET", "/api/settings"), Sift.api("GET", "/api/openai/health")]);
  if (!settings.ok) return;
  const s = settings.data;
  $("oai-url").value = s.openai_base_url || "";
  $("oai-key").value = "";
  $("oai-key-state").textContent = s.has_openai_key ? "An API key is stored (it is never shown)." : "No API key stored.";
  $("oai-clear-key").checked = false;
  const connected = health.ok && health.data.connected;
  const badge = $("oai-health");
  badge.className = "badge " + (connected ? "ok" : "down");
  badge.textContent = connected ? `Connected · ${health.data.latency_ms} ms` : "Not connected";
  const models = connected ? await Sift.api("GET", "/api/openai/models") : { ok: false };
  state.served = models.ok ? models.data : [];
  const list = $("oai-models");
  list.innerHTML = "";
  for (const m of state.served) {
    const li = document.createElement("li");
    li.textContent = m.id;
    list.append(li);
  }
  if (!state.served.length) list.innerHTML = '<li class="muted">No models listed.</li>';
  if (state.config) renderConfig();
}

$("oai-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { openai_base_url: $("oai-url").value.trim() };
  if ($("oai-key").value) body.openai_api_key = $("oai-key").value;
  if ($("oai-clear-key").checked) body.clear_openai_key = true;
  const result = await Sift.api("PUT", "/api/settings", body);
  $("oai-result").textContent = result.ok ? "Saved." : Sift.message(result.data);
  if (result.ok) await loadOpenAI();
});

// --- start ---------------------------------------------------------------------------------
checkHealth();
state.healthTimer = setInterval(checkHealth, 20000);
loadPrompts();
loadProviders();
loadOpenAI();
reattach();
