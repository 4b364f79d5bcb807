// The menu: order a dish, then poll each open order's status once a second.
"use strict";

const STORAGE_KEY = "tempo-eats-orders";
const orders = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "[]"); // newest first
const cards = new Map();

function save() {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(orders));
}

function cardFor(order) {
  let card = cards.get(order.orderId);
  if (card) return card;
  const product = PRODUCTS.get(order.productId) || { name: `Product ${order.productId}`, price: "", image: "" };
  card = document.getElementById("order-card").content.firstElementChild.cloneNode(true);
  card.dataset.orderId = order.orderId;
  card.querySelector(".thumb").src = `/static/img/${product.image}`;
  card.querySelector(".name").textContent = product.name;
  card.querySelector(".price").textContent = product.price;
  card.querySelector(".order-id code").textContent = order.orderId;
  cards.set(order.orderId, card);
  return card;
}

function render() {
  const list = document.getElementById("orders");
  orders.forEach((order, index) => {
    const card = cardFor(order);
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
    setBadge(card.querySelector(".badge"), order.state);
    const delivered = card.querySelector(".delivered");
    delivered.hidden = !order.deliveredAt;
    if (order.deliveredAt) {
      const time = delivered.querySelector("time");
      time.dateTime = order.deliveredAt;
      time.textContent = timeOf(order.deliveredAt);
    }
    const problem = card.querySelector(".problem");
    problem.hidden = !order.problem;
    problem.textContent = order.problem || "";
  });
  document.getElementById("no-orders").hidden = orders.length > 0;
}

async function placeOrder(button) {
  const productId = Number(button.dataset.productId);
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Ordering…";
  try {
    const placed = await api("POST", "/api/orders", { productId });
    orders.unshift({ orderId: placed.orderId, productId, state: null, closed: false });
    save();
    render();
    showError("");
  } catch (err) {
    showError(`Could not place the order: ${err.message}`);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

async function refresh() {
  const open = orders.filter((order) => !order.closed);
  await Promise.all(
    open.map(async (order) => {
      try {
        const fresh = await api("GET", `/api/orders/${encodeURIComponent(order.orderId)}`);
        // No worker answered: keep showing the last state we know, with the reason.
        if (fresh.state === null) fresh.state = order.state;
        Object.assign(order, fresh);
      } catch (err) {
        order.problem = err.message;
      }
    }),
  );
  save();
  render();
}

async function poll() {
  try {
    await refresh();
  } finally {
    setTimeout(poll, 1000);
  }
}

document.querySelectorAll(".order-button").forEach((button) => {
  button.addEventListener("click", () => placeOrder(button));
});
render();
poll();
