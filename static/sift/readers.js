// Readers (the operator's page): add one, approve a sign-up, shut one out; through the API.
"use strict";
document.getElementById("reader-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { username: document.getElementById("reader-name").value };
  const password = document.getElementById("reader-password").value;
  if (password) body.password = password;
  const result = await Sift.api("POST", "/api/readers", body);
  const out = document.getElementById("reader-result");
  if (!result.ok) { out.className = "error"; out.textContent = Sift.message(result.data); return; }
  out.className = "";
  out.textContent = `Added ${result.data.username}; password: ${result.data.password} (shown once).`;
});
document.getElementById("readers").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-active]");
  if (!button) return;
  const id = button.closest("tr").dataset.id;
  const result = await Sift.api("PATCH", `/api/readers/${id}`, { is_active: button.dataset.active === "true" });
  if (!result.ok) { Sift.toast(Sift.message(result.data)); return; }
  window.location.reload();
});
document.getElementById("readers").addEventListener("change", async (event) => {
  const input = event.target.closest("input.budget");
  if (!input) return;
  const id = input.closest("tr").dataset.id;
  const budget = input.value === "" ? null : Number(input.value);
  const result = await Sift.api("PATCH", `/api/readers/${id}`, { daily_scoring_budget: budget });
  Sift.toast(result.ok ? "Budget saved." : Sift.message(result.data));
});
