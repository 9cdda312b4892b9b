/* Storefront behaviour: option picker, live price and availability, cart badge, add to cart.
   No framework and no third-party host: it only calls this store's API (data-api on <body>).
   Every page works without it for browsing; it only adds what needs the server. */
(() => {
  "use strict";
  const body = document.body;
  const api = body.dataset.api;
  const locale = body.dataset.locale || "en";
  const TOKEN_KEY = "shop.cart.token";
  const STATE_TEXT = {
    in_stock: "In stock", low_stock: "Only a few left",
    backorder: "Available on backorder", sold_out: "Sold out",
  };

  function money(minor, currency) {
    const cur = currency || body.dataset.currency;
    const format = new Intl.NumberFormat(locale, { style: "currency", currency: cur });
    const digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / 10 ** digits);
  }

  async function call(method, path, payload) {
    const response = await fetch(api + path, {
      method,
      headers: payload ? { "Content-Type": "application/json" } : {},
      body: payload ? JSON.stringify(payload) : undefined,
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { ok: response.ok, status: response.status, data };
  }

  function problemText(result) {
    const d = result.data || {};
    return d.detail || d.title || "Something went wrong (" + result.status + "). Please try again.";
  }

  /* -- cart token and badge --------------------------------------------------------- */
  const token = {
    get: () => { try { return localStorage.getItem(TOKEN_KEY); } catch (_) { return null; } },
    set: (value) => { try { localStorage.setItem(TOKEN_KEY, value); } catch (_) { /* private mode */ } },
    clear: () => { try { localStorage.removeItem(TOKEN_KEY); } catch (_) { /* private mode */ } },
  };

  function itemCount(cart) {
    if (!cart) return 0;
    if (typeof cart.item_count === "number") return cart.item_count;
    return (cart.lines || []).reduce((sum, line) => sum + (line.quantity || 0), 0);
  }

  function showCount(count) {
    document.querySelectorAll("[data-cart-count]").forEach((badge) => {
      badge.innerHTML = "";
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = "items: ";
      badge.append(label, String(count));
    });
  }

  async function refreshBadge() {
    const current = token.get();
    if (!current) return;
    try {
      const result = await call("GET", "/carts/" + encodeURIComponent(current));
      if (result.status === 404) { token.clear(); showCount(0); return; }
      if (result.ok) showCount(itemCount(result.data));
    } catch (_) { /* offline: keep the badge as it is */ }
  }

  async function addToCart(sku, quantity) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let current = token.get();
      if (!current) {
        const created = await call("POST", "/carts", {});
        if (!created.ok || !created.data || !created.data.token) return created;
        current = created.data.token;
        token.set(current);
      }
      const result = await call("POST", "/carts/" + encodeURIComponent(current) + "/lines", { sku, quantity });
      if (result.status === 404 && attempt === 0) { token.clear(); continue; } // the cart expired
      return result;
    }
    return { ok: false, status: 404, data: null };
  }

  /* -- product page: option picker and live availability ---------------------------- */
  function setupProduct(product) {
    const data = document.getElementById("product-variants");
    if (!data) return;
    const variants = JSON.parse(data.textContent);
    const select = product.querySelector("[data-variant-select]");
    const picker = product.querySelector("[data-option-picker]");
    const priceBox = product.querySelector("[data-product-price]");
    const stateBox = product.querySelector("[data-availability]");
    const button = product.querySelector("[data-add-button]");
    const gallery = product.querySelector(".gallery");
    const fromUrl = new URLSearchParams(location.search).get("variant");
    let current = variants.find((v) => String(v.id) === fromUrl)
      || variants.find((v) => v.sku === select.value) || variants[0];

    function buyable(v) { return v && v.state !== "sold_out"; }

    // The chosen variant's own picture becomes the large first one of the gallery.
    function showImage(v) {
      if (!gallery || !v.image_id) return;
      const figure = gallery.querySelector(`[data-image-id="${v.image_id}"]`);
      if (figure && figure !== gallery.firstElementChild) gallery.prepend(figure);
    }

    function show(v) {
      current = v;
      if (!v) {
        stateBox.dataset.state = "sold_out";
        stateBox.textContent = "This combination is not available";
        button.disabled = true;
        button.textContent = "Unavailable";
        return;
      }
      select.value = v.sku;
      const amount = priceBox.querySelector("[data-price]");
      if (amount) amount.textContent = money(v.price);
      let compare = priceBox.querySelector("[data-compare-at]");
      if (v.compare_at_price && v.compare_at_price > v.price) {
        if (!compare) {
          compare = document.createElement("s");
          compare.className = "compare-at";
          compare.dataset.compareAt = "";
          priceBox.querySelector(".price").append(" ", compare);
        }
        compare.innerHTML = '<span class="visually-hidden">was </span>';
        compare.append(money(v.compare_at_price));
      } else if (compare) {
        compare.remove();
      }
      showImage(v);
      stateBox.dataset.state = v.state;
      stateBox.textContent = STATE_TEXT[v.state] || "";
      button.disabled = !buyable(v);
      button.textContent = buyable(v) ? "Add to cart" : "Sold out";
      if (picker) {
        picker.querySelectorAll("input[data-option]").forEach((input) => {
          input.checked = v.options[input.dataset.option] === input.value;
        });
      }
      markUnavailable();
    }

    function chosen() {
      const picked = {};
      picker.querySelectorAll("input[data-option]:checked").forEach((input) => {
        picked[input.dataset.option] = input.value;
      });
      return picked;
    }

    function markUnavailable() {
      if (!picker) return;
      const picked = chosen();
      picker.querySelectorAll("input[data-option]").forEach((input) => {
        const trial = Object.assign({}, picked, { [input.dataset.option]: input.value });
        const match = variants.find((v) => Object.entries(trial).every(([k, val]) => v.options[k] === val));
        const label = picker.querySelector('label[for="' + input.id + '"]');
        if (label) label.classList.toggle("unavailable", !buyable(match));
      });
    }

    if (picker && select.tagName === "SELECT") {
      picker.hidden = false;
      const field = product.querySelector("[data-variant-field]");
      if (field) field.hidden = true;
      picker.addEventListener("change", () => {
        const picked = chosen();
        show(variants.find((v) => Object.entries(picked).every(([k, val]) => v.options[k] === val)) || null);
        if (current) history.replaceState(null, "", "?variant=" + current.id);
      });
    }
    if (select.tagName === "SELECT") {
      select.addEventListener("change", () => show(variants.find((v) => v.sku === select.value)));
    }
    show(current);

    const skus = variants.map((v) => v.sku);
    refreshAvailability(skus, variants).then(() => show(current)).catch(() => { /* keep the built values */ });

    product.querySelector("[data-add-to-cart]").addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = product.querySelector("[data-cart-status]");
      const quantity = parseInt(product.querySelector("#quantity").value, 10) || 1;
      if (!current) return;
      button.disabled = true;
      status.textContent = "Adding…";
      try {
        const result = await addToCart(current.sku, quantity);
        if (result.ok) {
          status.textContent = "Added to your cart.";
          if (result.data && result.data.lines) showCount(itemCount(result.data)); else refreshBadge();
        } else {
          status.textContent = problemText(result);
        }
      } catch (_) {
        status.textContent = "The shop could not be reached. Please try again.";
      } finally {
        button.disabled = !buyable(current);
      }
    });
  }

  /* GET /availability answers {currency, items: [{sku, price, compare_at_price, available,
     in_stock, backorder}], unknown: [...]}; `available` is null for backorder variants. */
  async function refreshAvailability(skus, variants) {
    const result = await call("GET", "/availability?skus=" + skus.map(encodeURIComponent).join(","));
    if (!result.ok || !result.data) return;
    const live = {};
    (result.data.items || []).forEach((item) => { live[item.sku] = item; });
    variants.forEach((v) => {
      const item = live[v.sku];
      if (!item) { v.state = "sold_out"; return; } // no longer for sale
      if (Number.isInteger(item.price)) v.price = item.price;
      v.compare_at_price = item.compare_at_price;
      if (item.backorder) v.state = "backorder";
      else if (!item.in_stock) v.state = "sold_out";
      else v.state = item.available <= (v.low_threshold || 0) ? "low_stock" : "in_stock";
    });
  }

  /* -- the cart page without JavaScript on the product page: /cart/?sku=...&quantity=N -- */
  async function addFromQuery() {
    const params = new URLSearchParams(location.search);
    const sku = params.get("sku");
    if (!sku) return;
    const message = document.querySelector("[data-cart-message]");
    const result = await addToCart(sku, parseInt(params.get("quantity"), 10) || 1);
    if (message) message.textContent = result.ok ? "Added to your cart." : problemText(result);
    history.replaceState(null, "", location.pathname);
    refreshBadge();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const product = document.querySelector("[data-product]");
    if (product) setupProduct(product);
    if (document.querySelector("[data-cart-page]")) addFromQuery().catch(() => {});
    refreshBadge();
  });
})();
