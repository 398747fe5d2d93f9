// La-Lisa WhatsApp phone simulator. No libraries, no CDN: everything is served by the sandbox.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  phone: "",
  lastSeq: 0,
  generation: 0,        // bumps when the phone changes, so old polls are dropped
  userBubbles: {},      // wamid -> meta element of the citizen's bubble (read ticks)
  botBubbles: {},       // wamid -> meta element of the bot's bubble (status)
  contextFor: null,     // wamid of the bot message a location answers
  geo: null,
  projection: null,
  typingTimer: null,
  lastKind: null,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// WhatsApp formatting: *bold*, _italic_, ~strike~, ```mono```; built as DOM nodes, never HTML.
function formatted(text) {
  const frag = document.createDocumentFragment();
  const pattern = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|```[^`]+```)/g;
  let last = 0;
  for (const match of String(text || "").matchAll(pattern)) {
    frag.append(document.createTextNode(text.slice(last, match.index)));
    const token = match[0];
    const tag = token.startsWith("```") ? "code" : { "*": "strong", "_": "em", "~": "s" }[token[0]];
    const inner = token.startsWith("```") ? token.slice(3, -3) : token.slice(1, -1);
    frag.append(el(tag, {}, inner));
    last = match.index + token.length;
  }
  frag.append(document.createTextNode(String(text || "").slice(last)));
  return frag;
}

function clock(seconds) {
  const date = seconds ? new Date(seconds * 1000) : new Date();
  return date.toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
}

function scrollDown() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function note(text, isError = false) {
  $("messages").append(el("div", { class: "note" + (isError ? " error" : "") }, text));
  scrollDown();
}

// ------------------------------------------------------------------ sending

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

async function send(kind, fields = {}) {
  if (!state.phone) return;
  try {
    await post("/sim/api/send", { phone: state.phone, name: $("profile-name").value, kind, ...fields });
  } catch (error) {
    note(`Gagal mengirim: ${error.message}`, true);
  }
}

async function sendFile(file) {
  const form = new FormData();
  form.append("phone", state.phone);
  form.append("name", $("profile-name").value);
  form.append("caption", $("text").value.trim());
  form.append("file", file, file.name);
  $("text").value = "";
  const response = await fetch("/sim/api/upload", { method: "POST", body: form });
  if (!response.ok) note(`Gagal melampirkan berkas (HTTP ${response.status})`, true);
}

// ---------------------------------------------------------------- rendering

function userBubble(event) {
  const message = event.message;
  const bubble = el("div", { class: "bubble in" });
  const type = message.type;
  if (type === "text") bubble.append(formatted(message.text.body));
  else if (type === "interactive") {
    const reply = message.interactive[message.interactive.type] || {};
    bubble.append(reply.title || reply.id);
  } else if (type === "button") bubble.append(message.button.text || message.button.payload);
  else if (type === "location") {
    const loc = message.location;
    bubble.append(`📍 ${loc.name ? loc.name + " · " : ""}${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}`);
    if (loc.address) bubble.append(el("div", { class: "footer-text" }, loc.address));
  } else if (["image", "video", "audio", "document"].includes(type)) {
    const media = message[type];
    if (type === "image") bubble.append(el("img", { src: `/sim/media/${media.id}`, alt: "foto" }));
    else if (type === "video") bubble.append(el("video", { src: `/sim/media/${media.id}`, controls: "" }));
    else bubble.append(`📄 ${media.filename || type} (${media.mime_type})`);
    if (media.caption) bubble.append(el("div", {}, formatted(media.caption)));
  } else if (type === "sticker") bubble.append("🙂 (stiker)");
  else if (type === "reaction") bubble.append(`${message.reaction.emoji} (reaksi)`);
  else bubble.append(`(${type})`);
  const ticks = el("span", { class: "ticks" }, "✓✓");
  const meta = el("div", { class: "meta" }, clock(Number(message.timestamp)), " ", ticks);
  bubble.append(meta);
  state.userBubbles[event.wamid] = ticks;
  $("messages").append(bubble);
  if (event.webhook_status !== 200) {
    note(`Webhook ditolak/gagal (${event.webhook_status || "tidak terhubung"}): ${event.webhook_text || ""}`, true);
  }
}

function actionButtons(buttons) {
  const box = el("div", { class: "actions" });
  for (const button of buttons) box.append(button);
  return box;
}

function botBubble(event) {
  const message = event.message;
  const type = message.type;
  const bubble = el("div", { class: "bubble out" });
  let actions = null;
  const contextId = event.wamid;
  if (type === "text") bubble.append(formatted(message.text.body));
  else if (type === "interactive") {
    const interactive = message.interactive;
    if (interactive.header && interactive.header.text) {
      bubble.append(el("div", { class: "header-text" }, interactive.header.text));
    }
    bubble.append(formatted((interactive.body || {}).text || ""));
    if (interactive.footer) bubble.append(el("div", { class: "footer-text" }, interactive.footer.text));
    const action = interactive.action || {};
    if (interactive.type === "button") {
      actions = actionButtons((action.buttons || []).map((b) => el("button", {
        type: "button",
        onclick: () => send("button_reply", { id: b.reply.id, title: b.reply.title, context_id: contextId }),
      }, b.reply.title)));
    } else if (interactive.type === "list") {
      actions = actionButtons([el("button", {
        type: "button", onclick: () => openList(action, contextId),
      }, `☰ ${action.button || "Pilihan"}`)]);
    } else if (interactive.type === "location_request_message") {
      actions = actionButtons([el("button", {
        type: "button", onclick: () => openMap(contextId),
      }, "📍 Kirim lokasi")]);
    } else if (interactive.type === "cta_url") {
      const params = action.parameters || {};
      actions = actionButtons([el("button", {
        type: "button", onclick: () => window.open(params.url, "_blank"),
      }, `🔗 ${params.display_text || "Buka"}`)]);
    }
  } else if (["image", "video", "audio", "document", "sticker"].includes(type)) {
    const media = message[type];
    const src = media.link || `/sim/media/${media.id}`;
    if (type === "image" || type === "sticker") bubble.append(el("img", { src, alt: media.caption || type }));
    else if (type === "video") bubble.append(el("video", { src, controls: "" }));
    else if (type === "audio") bubble.append(el("audio", { src, controls: "" }));
    else bubble.append(el("a", { href: src, target: "_blank" }, `📄 ${media.filename || "dokumen"}`));
    if (media.caption) bubble.append(el("div", {}, formatted(media.caption)));
  } else if (type === "location") {
    const loc = message.location;
    bubble.append(`📍 ${loc.name || "Lokasi"} · ${loc.latitude}, ${loc.longitude}`);
  } else if (type === "template") {
    const template = message.template;
    bubble.append(el("div", { class: "header-text" }, `Templat: ${template.name} (${template.language.code})`));
    for (const component of template.components || []) {
      for (const parameter of component.parameters || []) {
        if (parameter.type === "text") {
          bubble.append(el("div", {}, `${parameter.parameter_name || component.type}: ${parameter.text}`));
        }
      }
      if (component.type === "button") {
        const payload = (component.parameters || [])[0] || {};
        actions = actions || actionButtons([]);
        actions.append(el("button", {
          type: "button", onclick: () => send("button", { payload: payload.payload, title: payload.payload }),
        }, `Tombol ${Number(component.index) + 1}`));
      }
    }
  } else bubble.append(`(${type})`);
  const status = el("span", {}, "");
  bubble.append(el("div", { class: "meta" }, clock(event.time), " ", status));
  bubble.append(el("button", {
    class: "react", type: "button", title: "Beri reaksi 👍",
    onclick: () => send("reaction", { message_id: event.wamid, emoji: "👍" }),
  }, "👍"));
  state.botBubbles[event.wamid] = status;
  $("messages").append(bubble);
  if (actions) $("messages").append(actions);
}

function showTyping(on) {
  clearTimeout(state.typingTimer);
  $("typing").textContent = on ? "sedang mengetik…" : "online";
  if (on) state.typingTimer = setTimeout(() => showTyping(false), 25000);
}

function handle(event) {
  if (event.kind === "in") {
    state.lastKind = "in";
    userBubble(event);
  } else if (event.kind === "out") {
    state.lastKind = "out";
    showTyping(false);
    botBubble(event);
  } else if (event.kind === "read") {
    const ticks = state.userBubbles[event.wamid];
    if (ticks) ticks.classList.add("read");
    // The read receipt can arrive after the reply; only show "typing" while still waiting.
    if (event.typing && state.lastKind === "in") showTyping(true);
  } else if (event.kind === "status") {
    const label = state.botBubbles[event.wamid];
    const words = { sent: "✓", delivered: "✓✓", read: "✓✓ dibaca" };
    if (label) label.textContent = words[event.status] || event.status;
    if (event.webhook_status !== 200) note(`Status webhook gagal (${event.webhook_status})`, true);
  }
}

async function poll(generation) {
  while (generation === state.generation) {
    try {
      const url = `/sim/api/events?phone=${encodeURIComponent(state.phone)}&after=${state.lastSeq}&wait=20`;
      const data = await (await fetch(url)).json();
      if (generation !== state.generation) return;
      const seen = [];
      for (const event of data.events) {
        state.lastSeq = Math.max(state.lastSeq, event.seq);
        handle(event);
        if (event.kind === "out") seen.push(event.wamid);
      }
      if (data.events.length) scrollDown();
      if (seen.length && document.visibilityState === "visible") {
        post("/sim/api/read", { phone: state.phone, wamids: seen }).catch(() => {});
      }
      $("channel-state").textContent = "";
    } catch (error) {
      $("channel-state").textContent = "Sandbox tidak terjangkau, mencoba lagi…";
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function usePhone(phone) {
  const digits = String(phone).replace(/\D/g, "");
  if (!digits) return;
  state.phone = digits;
  state.lastSeq = 0;
  state.generation += 1;
  state.userBubbles = {};
  state.botBubbles = {};
  $("messages").replaceChildren();
  note(`Ponsel ${digits}`);
  poll(state.generation);
}

// ----------------------------------------------------------------- sheets

function openList(action, contextId) {
  $("list-title").textContent = action.button || "Pilihan";
  const rows = $("list-rows");
  rows.replaceChildren();
  for (const section of action.sections || []) {
    if (section.title) rows.append(el("div", { class: "muted small" }, section.title));
    for (const row of section.rows || []) {
      rows.append(el("button", {
        class: "row-option", type: "button",
        onclick: () => {
          $("list-sheet").hidden = true;
          send("list_reply", { id: row.id, title: row.title, description: row.description, context_id: contextId });
        },
      }, row.title, row.description ? el("small", {}, row.description) : null));
    }
  }
  $("list-sheet").hidden = false;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#a8dadc", "#f1c27d", "#b5e48c", "#ffcad4", "#cdb4db", "#ffd6a5", "#bde0fe", "#caffbf"];

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

function drawMap() {
  const svg = $("map");
  if (!state.geo || svg.childElementCount) return;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const feature of state.geo.features) {
    for (const polygon of rings(feature.geometry)) {
      for (const [x, y] of polygon[0]) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
  }
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const scale = 1000 / ((maxX - minX) * k);
  const width = 1000, height = (maxY - minY) * scale;
  state.projection = { minX, maxY, k, scale };
  svg.setAttribute("viewBox", `-10 -10 ${width + 20} ${height + 20}`);
  const project = ([x, y]) => [(x - minX) * k * scale, (maxY - y) * scale];
  state.geo.features.forEach((feature, index) => {
    let d = "", sumX = 0, sumY = 0, count = 0;
    for (const polygon of rings(feature.geometry)) {
      for (const ring of polygon) {
        d += ring.map((point, i) => {
          const [px, py] = project(point);
          if (ring === polygon[0]) { sumX += px; sumY += py; count += 1; }
          return `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`;
        }).join("") + "Z";
      }
    }
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", COLOURS[index % COLOURS.length]);
    path.setAttribute("fill-rule", "evenodd");
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = feature.properties.nama;
    path.append(title);
    svg.append(path);
    const label = document.createElementNS(SVG_NS, "text");
    label.setAttribute("x", (sumX / count).toFixed(1));
    label.setAttribute("y", (sumY / count).toFixed(1));
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("font-size", "24");
    label.textContent = feature.properties.nama;
    svg.append(label);
  });
  const marker = document.createElementNS(SVG_NS, "circle");
  marker.setAttribute("id", "marker");
  marker.setAttribute("r", "9");
  marker.setAttribute("fill", "#d32f2f");
  marker.setAttribute("stroke", "#fff");
  marker.setAttribute("stroke-width", "3");
  marker.setAttribute("visibility", "hidden");
  svg.append(marker);
  svg.addEventListener("click", (event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    const { minX: x0, maxY: y0, k: kk, scale: s } = state.projection;
    const lon = x0 + local.x / (kk * s);
    const lat = y0 - local.y / s;
    $("lat").value = lat.toFixed(6);
    $("lon").value = lon.toFixed(6);
    const hit = event.target.closest("path");
    $("map-hint").textContent = hit ? `Kecamatan ${hit.textContent}` : "Di luar wilayah Kabupaten Balangan";
    placeMarker();
  });
}

function placeMarker() {
  const marker = $("marker");
  const lat = parseFloat($("lat").value), lon = parseFloat($("lon").value);
  if (!marker || !state.projection || Number.isNaN(lat) || Number.isNaN(lon)) return;
  const { minX, maxY, k, scale } = state.projection;
  marker.setAttribute("cx", ((lon - minX) * k * scale).toFixed(1));
  marker.setAttribute("cy", ((maxY - lat) * scale).toFixed(1));
  marker.setAttribute("visibility", "visible");
}

function openMap(contextId = null) {
  state.contextFor = contextId;
  $("map-sheet").hidden = false;
  drawMap();
}

async function sendLocation() {
  const latitude = parseFloat($("lat").value), longitude = parseFloat($("lon").value);
  if (Number.isNaN(latitude) || Number.isNaN(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    $("map-hint").textContent = "Koordinat tidak valid.";
    return;
  }
  $("map-sheet").hidden = true;
  await send("location", {
    latitude, longitude,
    location_name: $("loc-name").value.trim() || undefined,
    location_address: $("loc-address").value.trim() || undefined,
    context_id: state.contextFor || undefined,
  });
}

// ------------------------------------------------------------------- setup

async function init() {
  const config = await (await fetch("/sim/api/config")).json();
  $("webhook-url").textContent = config.webhook_url;
  for (const phone of config.phones) $("phone-select").append(el("option", { value: phone }, phone));
  $("phone-select").addEventListener("change", (event) => usePhone(event.target.value));
  $("phone-use").addEventListener("click", () => {
    const value = $("phone-custom").value;
    if (![...$("phone-select").options].some((o) => o.value === value.replace(/\D/g, ""))) {
      $("phone-select").append(el("option", { value: value.replace(/\D/g, "") }, value.replace(/\D/g, "")));
    }
    $("phone-select").value = value.replace(/\D/g, "");
    usePhone(value);
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    send("text", { text });
  });
  $("btn-attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) sendFile(file);
    event.target.value = "";
  });
  $("btn-location").addEventListener("click", () => openMap(null));
  $("btn-sticker").addEventListener("click", () => send("sticker"));
  $("btn-send-location").addEventListener("click", sendLocation);
  for (const input of ["lat", "lon"]) $(input).addEventListener("input", placeMarker);
  document.querySelectorAll("[data-close]").forEach((button) => {
    button.addEventListener("click", () => { $(button.dataset.close).hidden = true; });
  });
  fetch("/sim/api/geo").then((r) => r.json()).then((geo) => { state.geo = geo; }).catch(() => {});
  usePhone(config.phones[0]);
}

init();
