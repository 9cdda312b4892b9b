/* The search page: Pagefind's index (static files made at build time) searched in the browser.
   The index is split into shards (data-shards lists them); the first is loaded and the
   others merged into it. */
(() => {
  "use strict";
  const root = document.querySelector("[data-search]");
  if (!root) return;
  const input = root.querySelector("[data-search-input]");
  const list = root.querySelector("[data-search-results]");
  const status = root.querySelector("[data-search-status]");
  const indexBase = root.dataset.index;
  const shards = (root.dataset.shards || "").split(",").filter(Boolean);
  let loading = null;

  // Once per page, and shared by every search typed meanwhile, so none runs on a half-merged
  // index. The other shards are merged at once, not one after another: each costs a request
  // or two (merged indexes reuse the first one's WebAssembly), and at 10,000 products there
  // are 20 of them.
  function load() {
    if (!loading) {
      loading = (async () => {
        if (!shards.length) throw new Error("this store has no search index yet");
        const engine = await import(indexBase + shards[0] + "/pagefind.js");
        await engine.options({ baseUrl: (document.body.dataset.base || "") + "/" });
        await Promise.all(shards.slice(1).map((shard) => engine.mergeIndex(indexBase + shard + "/")));
        return engine;
      })();
      loading.catch(() => { loading = null; }); // a failed load is tried again by the next search
    }
    return loading;
  }

  function render(items, query) {
    list.innerHTML = "";
    status.textContent = items.length
      ? items.length + " result" + (items.length === 1 ? "" : "s") + " for “" + query + "”"
      : "No products match “" + query + "”.";
    items.forEach((item) => {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.alt = "";
      img.loading = "lazy";
      if (item.meta && item.meta.image) img.src = item.meta.image;
      const text = document.createElement("div");
      const heading = document.createElement("h2");
      const link = document.createElement("a");
      // The build gives Pagefind each page's URL as metadata (its staged copy has another name).
      const url = (item.meta && item.meta.url) || item.url;
      link.href = url;
      link.textContent = (item.meta && item.meta.title) || url;
      heading.append(link);
      const price = document.createElement("p");
      price.className = "muted";
      price.textContent = (item.meta && item.meta.price) || "";
      const excerpt = document.createElement("p");
      excerpt.innerHTML = item.excerpt; // Pagefind escapes the text and only adds <mark>
      text.append(heading, price, excerpt);
      li.append(img, text);
      list.append(li);
    });
  }

  let timer = null;
  async function run(query) {
    query = query.trim();
    history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
    if (!query) { list.innerHTML = ""; status.textContent = ""; return; }
    status.textContent = "Searching…";
    try {
      const pagefind = await load();
      const search = await pagefind.search(query);
      const items = await Promise.all(search.results.slice(0, 30).map((r) => r.data()));
      if (input.value.trim() === query) render(items, query);
    } catch (_) {
      status.textContent = "Search is not available right now.";
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 200);
  });
  root.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(input.value);
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
