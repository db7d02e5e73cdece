// Small helpers shared by the pages: JSON calls with the session's CSRF token, a toast.
"use strict";
const Sift = {
  csrf: document.querySelector('meta[name="csrf-token"]').content,
  async api(method, url, body) {
    const options = { method, headers: { "X-CSRFToken": this.csrf, Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data };
  },
  toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text; el.hidden = false;
    clearTimeout(this._toastTimer);
    this._toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  },
  message(data) {
    if (!data) return "Something went wrong.";
    if (data.detail) return data.detail;
    return Object.entries(data).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ");
  },
  bytes(n) {
    if (!n) return "0 B";
    const units = ["B", "KB", "MB", "GB", "TB"]; let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  },
};
