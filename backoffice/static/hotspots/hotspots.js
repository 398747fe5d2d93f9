// Peta Rawan: choropleth per kecamatan/desa, server-side clusters, legend, area ticket list.
// Everything comes from this back office (CSP 'self'); base tiles only when configured.
// Text from the server is put into the page with textContent, never as HTML.
"use strict";

(function () {
  const mapEl = document.getElementById("peta");
  if (!mapEl || typeof L === "undefined") return;

  const statusEl = document.getElementById("peta-status");
  const form = document.getElementById("peta-filter");
  const levelInput = document.getElementById("f-tingkat");
  const levelLabels = { kecamatan: "Kecamatan", desa: "Desa/kelurahan" };
  const state = {
    level: mapEl.dataset.tingkatAwal === "desa" ? "desa" : "kecamatan",
    query: new URLSearchParams(mapEl.dataset.query || ""),
    figures: null,
    boundaries: {},
    layers: {},
    clusters: L.layerGroup(),
    clusterRequest: 0,
  };

  function apiQuery(extra) {
    const params = new URLSearchParams(state.query);
    params.delete("tingkat");
    for (const [key, value] of Object.entries(extra || {})) params.set(key, String(value));
    return params.toString();
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(text) {
    if (statusEl) statusEl.textContent = text;
  }

  // ------------------------------------------------------------------------------ the map
  const map = L.map(mapEl, {
    zoomSnap: 0.5,
    minZoom: 8,
    maxZoom: 18,
    attributionControl: Boolean(mapEl.dataset.tileUrl),
  });
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, {
      maxZoom: 18,
      attribution: mapEl.dataset.tileAttribution || "",
    }).addTo(map);
  }
  map.setView([-2.32, 115.6], 10);

  function classOf(value, breaks) {
    for (let i = 0; i < breaks.length; i += 1) if (value <= breaks[i]) return i;
    return breaks.length - 1;
  }

  function rangeLabel(breaks, index) {
    if (index === 0) return "0";
    const low = breaks[index - 1] + 1;
    const high = breaks[index];
    return low === high ? String(high) : `${low}–${high}`;
  }

  // Colour classes: the zero class is klas-0; the others are spread over klas-1..klas-5 so the
  // darkest colour always means the highest class.
  function colourClass(index, breaks) {
    if (index === 0) return "klas-0";
    const steps = breaks.length - 1;
    const scaled = steps <= 1 ? 5 : Math.round(1 + ((index - 1) * 4) / (steps - 1));
    return `klas-${scaled}`;
  }

  function tooltipFor(props, count) {
    return () => {
      const box = el("div", "peta-tooltip");
      box.appendChild(el("strong", "", props.nama));
      if (props.kecamatan && props.kecamatan !== props.nama) {
        box.appendChild(el("span", "muted", ` · Kec. ${props.kecamatan}`));
      }
      box.appendChild(el("div", "", `${count} aduan`));
      return box;
    };
  }

  function buildLayer(level) {
    const data = state.figures.tingkat[level];
    const breaks = data.batas_kelas;
    const layer = L.geoJSON(state.boundaries[level], {
      style: (feature) => {
        const count = data.jumlah[feature.properties.kode] || 0;
        const klas = colourClass(classOf(count, breaks), breaks);
        return { className: `wilayah wilayah-${level} ${klas}`, weight: level === "desa" ? 1 : 2 };
      },
      onEachFeature: (feature, featureLayer) => {
        const props = feature.properties;
        const count = data.jumlah[props.kode] || 0;
        featureLayer.bindTooltip(tooltipFor(props, count), { sticky: true });
        featureLayer.on("click", () => showArea(level, props, count));
        featureLayer.on("add", () => {
          const path = featureLayer.getElement();
          if (!path) return;
          path.setAttribute("data-kode", props.kode);
          path.setAttribute("data-nama", props.nama);
          path.setAttribute("data-jumlah", String(count));
        });
      },
    });
    return layer;
  }

  // The legend sits under the map (not as a map control) so it never hides a kecamatan.
  function buildLegend(level) {
    const box = document.getElementById("peta-legenda");
    if (!box) return;
    const data = state.figures.tingkat[level];
    const breaks = data.batas_kelas;
    box.replaceChildren(el("strong", "", `Aduan per ${levelLabels[level].toLowerCase()}`));
    const list = el("ul");
    breaks.forEach((_, index) => {
      const item = el("li", "legenda-kelas");
      item.appendChild(el("span", `swatch ${colourClass(index, breaks)}`));
      item.appendChild(el("span", "legenda-label", rangeLabel(breaks, index)));
      list.appendChild(item);
    });
    box.appendChild(list);
    if (data.tanpa_wilayah) {
      box.appendChild(el("span", "muted", `${data.tanpa_wilayah} aduan tanpa ${levelLabels[level].toLowerCase()}. `));
    }
    const dot = el("span", "legenda-titik");
    dot.appendChild(el("span", "cluster-sample", "n"));
    dot.appendChild(el("span", "", " jumlah aduan di satu titik/kelompok titik"));
    box.appendChild(dot);
    box.hidden = false;
  }

  function loadBoundaries(level) {
    if (state.boundaries[level]) return Promise.resolve(state.boundaries[level]);
    return getJson(`/peta-rawan/batas/${level}`).then((geo) => {
      state.boundaries[level] = geo;
      return geo;
    });
  }

  function showLevel(level) {
    return loadBoundaries(level).then(() => {
      for (const [name, layer] of Object.entries(state.layers)) {
        if (name !== level) map.removeLayer(layer);
      }
      if (!state.layers[level]) state.layers[level] = buildLayer(level);
      state.layers[level].addTo(map);
      buildLegend(level);
      mapEl.dataset.tingkatAktif = level;
      say(`${state.figures.total} aduan pada filter ini · tampilan per ${levelLabels[level].toLowerCase()}.`);
    });
  }

  // ------------------------------------------------------------------------- clusters
  function clusterIcon(count) {
    const size = count >= 100 ? "besar" : count >= 10 ? "sedang" : "kecil";
    const box = el("div", "cluster-isi");
    box.appendChild(el("span", "", count));
    const px = size === "besar" ? 44 : size === "sedang" ? 36 : 28;
    return L.divIcon({ html: box, className: `cluster cluster-${size}`, iconSize: [px, px] });
  }

  function loadClusters() {
    const request = ++state.clusterRequest;
    const zoom = Math.round(map.getZoom());
    const bbox = map.getBounds().pad(0.5).toBBoxString();
    return getJson(`/peta-rawan/titik?${apiQuery({ zoom, bbox })}`).then((geo) => {
      if (request !== state.clusterRequest) return;
      state.clusters.clearLayers();
      for (const feature of geo.features) {
        const [lon, lat] = feature.geometry.coordinates;
        const count = feature.properties.jumlah;
        const marker = L.marker([lat, lon], {
          icon: clusterIcon(count),
          keyboard: false,
          title: `${count} aduan`,
        });
        marker.on("click", () => {
          if (map.getZoom() < map.getMaxZoom()) map.setView([lat, lon], Math.min(map.getZoom() + 2, 18));
        });
        state.clusters.addLayer(marker);
      }
      mapEl.dataset.clusters = String(geo.features.length);
      mapEl.dataset.clusterZoom = String(zoom);
    });
  }

  // ------------------------------------------------------------------- area ticket list
  function showArea(level, props, count) {
    const panel = document.getElementById("wilayah-aduan");
    const list = document.getElementById("wilayah-list");
    const title = document.getElementById("wilayah-judul");
    const link = document.getElementById("wilayah-daftar");
    if (!panel || !list || !title || !link) return;
    panel.hidden = false;
    title.textContent = `${levelLabels[level]} ${props.nama}: ${count} aduan`;
    list.replaceChildren(el("li", "muted", "Memuat…"));
    getJson(`/peta-rawan/aduan?${apiQuery({ tingkat: level, kode: props.kode })}`)
      .then((data) => {
        link.href = data.daftar_aduan;
        link.textContent = `Buka aduan Kecamatan ${data.wilayah.kecamatan} di daftar aduan`;
        list.replaceChildren();
        if (!data.aduan.length) list.appendChild(el("li", "muted", "Tidak ada aduan pada filter ini."));
        for (const ticket of data.aduan) {
          const item = el("li");
          const anchor = el("a", "", ticket.nomor);
          anchor.href = ticket.tautan;
          item.appendChild(anchor);
          item.appendChild(el("span", "", ` · ${ticket.kategori} · ${ticket.status} · ${ticket.diterima}`));
          if (ticket.desa) item.appendChild(el("span", "muted", ` · ${ticket.desa}`));
          list.appendChild(item);
        }
        if (data.terpotong) list.appendChild(el("li", "muted", `Ditampilkan ${data.aduan.length} dari ${data.jumlah} aduan.`));
      })
      .catch(() => list.replaceChildren(el("li", "error", "Daftar aduan gagal dimuat. Coba lagi.")));
  }

  // ----------------------------------------------------------------------------- controls
  function setLevel(level) {
    state.level = level;
    if (levelInput) levelInput.value = level;
    state.query.set("tingkat", level);
    for (const button of document.querySelectorAll(".level-switch [data-tingkat]")) {
      const active = button.dataset.tingkat === level;
      button.classList.toggle("primary", active);
      button.setAttribute("aria-pressed", active ? "true" : "false");
    }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", `/peta-rawan?${state.query.toString()}`);
    }
    return showLevel(level);
  }

  for (const button of document.querySelectorAll(".level-switch [data-tingkat]")) {
    button.addEventListener("click", () => {
      setLevel(button.dataset.tingkat).catch(() => say("Batas wilayah gagal dimuat."));
    });
  }

  const pointsToggle = document.getElementById("lapis-titik");
  if (pointsToggle) {
    pointsToggle.addEventListener("change", () => {
      if (pointsToggle.checked) state.clusters.addTo(map);
      else map.removeLayer(state.clusters);
    });
  }

  for (const chip of document.querySelectorAll("[data-jam-dari]")) {
    chip.addEventListener("click", () => {
      document.getElementById("f-jam-dari").value = chip.dataset.jamDari;
      document.getElementById("f-jam-sampai").value = chip.dataset.jamSampai;
    });
  }

  const periodSelect = document.getElementById("f-periode");
  function toggleCustomDates() {
    const custom = periodSelect && periodSelect.value === "kustom";
    for (const box of document.querySelectorAll(".custom-dates")) box.hidden = !custom;
  }
  if (periodSelect) {
    periodSelect.addEventListener("change", toggleCustomDates);
    toggleCustomDates();
  }
  if (form) form.setAttribute("data-siap", "1");

  // ------------------------------------------------------------------------------- start
  // The page carries the counts it was rendered with (the same JSON as /peta-rawan/data).
  Promise.resolve()
    .then(() => Promise.all([JSON.parse(mapEl.dataset.figures || "null"), loadBoundaries("kecamatan")]))
    .then(([figures]) => {
      if (!figures) throw new Error("no figures");
      state.figures = figures;
      const district = L.geoJSON(state.boundaries.kecamatan).getBounds();
      map.fitBounds(district, { padding: [8, 8] });
      map.setMaxBounds(district.pad(0.5));
      state.clusters.addTo(map);
      map.on("moveend", () => loadClusters().catch(() => say("Titik aduan gagal dimuat.")));
      return Promise.all([showLevel(state.level), loadClusters()]);
    })
    .then(() => mapEl.setAttribute("data-siap", "1"))
    .catch(() => say("Peta gagal dimuat. Muat ulang halaman."));
})();
