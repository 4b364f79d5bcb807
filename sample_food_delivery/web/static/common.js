// Shared by both pages: the menu's products, JSON calls, status badges.
"use strict";

const PRODUCTS = new Map(
  JSON.parse(document.getElementById("products").textContent).map((p) => [p.id, p]),
);

// Call one of the app's /api routes; on failure throw an Error with the server's message.
async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    throw new Error("The web app does not answer. Is it still running?");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.error || `${method} ${url} failed with ${response.status}`);
  }
  return data;
}

function setBadge(badge, state) {
  const text = state || "Waiting…";
  if (badge.textContent !== text) badge.textContent = text;
  badge.dataset.state = state || "";
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString();
}
