// The driver portal: list the orders once a second; Pick up and Deliver send signals.
"use strict";

const rows = new Map();
const pending = new Map(); // orderId -> the state it had when a button was pressed

const ACTIONS = {
  Paid: { label: "Pick up", busy: "Picking up…", path: "pickup", style: "pickup" },
  "Picked up": { label: "Deliver", busy: "Delivering…", path: "deliver", style: "deliver" },
};

function rowFor(order) {
  let row = rows.get(order.orderId);
  if (row) return row;
  const product = PRODUCTS.get(order.productId) || { name: `Product ${order.productId}`, price: "", image: "" };
  row = document.createElement("tr");
  row.dataset.orderId = order.orderId;
  row.innerHTML =
    '<td><div class="product"><img alt="" width="64" height="40"><span class="name"></span>' +
    '<span class="price"></span></div></td>' +
    '<td class="order-id"><code></code></td>' +
    '<td class="status"><span class="badge"></span><div class="problem" hidden></div></td>' +
    '<td class="action"></td>';
  row.querySelector("img").src = `/static/img/${product.image}`;
  row.querySelector(".product .name").textContent = product.name;
  row.querySelector(".product .price").textContent = product.price || "";
  row.querySelector(".order-id code").textContent = order.orderId;
  rows.set(order.orderId, row);
  return row;
}

function renderAction(cell, order) {
  const action = order.closed ? null : ACTIONS[order.state];
  const waiting = pending.has(order.orderId) && pending.get(order.orderId) === order.state;
  if (!waiting) pending.delete(order.orderId);
  const key = action ? `${action.path}:${waiting}` : "";
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  cell.replaceChildren();
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `button ${action.style}`;
    button.textContent = waiting ? action.busy : action.label;
    button.disabled = waiting;
    button.addEventListener("click", () => act(order, action, button));
    cell.append(button);
  }
}

async function act(order, action, button) {
  pending.set(order.orderId, order.state);
  button.disabled = true;
  button.textContent = action.busy;
  try {
    await api("POST", `/api/orders/${encodeURIComponent(order.orderId)}/${action.path}`);
    showError("");
  } catch (err) {
    pending.delete(order.orderId);
    button.disabled = false;
    button.textContent = action.label;
    showError(`Could not ${action.label.toLowerCase()} ${order.orderId}: ${err.message}`);
  }
}

function render(orders) {
  const body = document.getElementById("orders");
  if (orders.length === 0) {
    body.innerHTML = '<tr class="empty"><td colspan="4">No orders yet. Order something on the menu.</td></tr>';
    rows.clear();
    return;
  }
  body.querySelector(".empty")?.remove();
  const seen = new Set();
  orders.forEach((order, index) => {
    const row = rowFor(order);
    seen.add(order.orderId);
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
    row.classList.toggle("closed", order.closed);
    // No worker answered: keep the last state we know (signals still reach the
    // workflow; the worker handles them when it is back).
    if (order.state === null) order.state = row.dataset.state || null;
    row.dataset.state = order.state || "";
    setBadge(row.querySelector(".badge"), order.state);
    const problem = row.querySelector(".problem");
    problem.hidden = !order.problem;
    problem.textContent = order.problem || "";
    renderAction(row.querySelector(".action"), order);
  });
  for (const [orderId, row] of rows) {
    if (!seen.has(orderId)) {
      row.remove();
      rows.delete(orderId);
    }
  }
}

async function poll() {
  try {
    const data = await api("GET", "/api/orders");
    render(data.orders);
    showError("");
  } catch (err) {
    showError(err.message);
  } finally {
    setTimeout(poll, 1000);
  }
}

poll();
