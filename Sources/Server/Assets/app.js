// vidsearch's page: search as you type, a grid of hits, play a hit's time range, more like this.
// The address bar carries the search (/?q=...&path=...&group=1, &like=SEGMENT, &play=N) so that
// it can be bookmarked, shared and reloaded.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { hits: [], selected: -1, like: null, timer: null, request: 0, playing: null };

function clock(seconds) {
  const s = Math.max(0, seconds), m = Math.floor(s / 60), rest = s - m * 60;
  return `${m}:${rest.toFixed(1).padStart(4, "0")}`;
}

function message(text, isError = false) {
  const m = $("message");
  m.textContent = text;
  m.classList.toggle("error", isError);
}

async function api(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return body;
}

function address() {
  const p = new URLSearchParams();
  if (state.like !== null) p.set("like", state.like);
  else if ($("q").value.trim()) p.set("q", $("q").value.trim());
  if ($("path").value.trim()) p.set("path", $("path").value.trim());
  if ($("group").checked) p.set("group", "1");
  for (const f of ["after", "before"]) if ($(f).value) p.set(f, $(f).value);
  if (state.playing !== null) p.set("play", String(state.playing + 1));
  return p;
}

function remember() {
  const p = address().toString();
  history.replaceState(null, "", p ? `/?${p}` : "/");
}

async function run() {
  const q = $("q").value.trim();
  const mine = ++state.request;
  remember();
  if (state.like === null && !q) { show([]); message("Type what you are looking for."); return; }
  const p = new URLSearchParams({ k: "48" });
  if ($("path").value.trim()) p.set("path", $("path").value.trim());
  if ($("group").checked) p.set("per_video", "true");
  for (const f of ["after", "before"]) if ($(f).value) p.set(f, $(f).value);
  const url = state.like !== null ? `/api/similar/${encodeURIComponent(state.like)}?${p}` : `/api/search?q=${encodeURIComponent(q)}&${p}`;
  message("Searching…");
  try {
    const body = await api(url);
    if (mine !== state.request) return;  // a newer search is on its way
    show(body.hits);
    if (!body.hits.length) message(state.like !== null ? "Nothing similar found." : "No matches. Try other words, or fewer filters.");
    else message(state.like !== null ? `Segments like segment ${state.like}` : `${body.hits.length} matching segments`);
  } catch (error) {
    if (mine !== state.request) return;
    show([]);
    message(`The search failed: ${error.message}`, true);
  }
}

function show(hits) {
  state.hits = hits;
  state.selected = -1;
  const list = $("hits");
  list.replaceChildren();
  hits.forEach((hit, i) => {
    const card = document.createElement("li");
    card.className = "card";
    card.tabIndex = 0;
    card.dataset.index = String(i);
    card.dataset.segment = String(hit.segment);
    const img = document.createElement("img");
    img.src = hit.thumbnail;
    img.alt = `${hit.file} at ${clock(hit.start)}`;
    img.loading = "lazy";
    const info = document.createElement("div");
    info.className = "info";
    const file = document.createElement("span");
    file.className = "file";
    file.textContent = hit.file;
    file.title = `${hit.folder}/${hit.file}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    const range = document.createElement("span");
    range.className = "range";
    range.textContent = `${clock(hit.start)} – ${clock(hit.end)}`;
    const score = document.createElement("span");
    score.textContent = hit.score.toFixed(3);
    score.title = hit.speech ? "fused rank score (pictures and words)" : "visual score (cosine)";
    meta.append(range, score);
    const more = document.createElement("button");
    more.className = "more";
    more.type = "button";
    more.textContent = "more like this";
    more.addEventListener("click", (event) => { event.stopPropagation(); likeThis(hit.segment); });
    info.append(file, meta);
    if (hit.speech) info.append(line(hit.speech));
    info.append(more);
    card.append(img, info);
    card.addEventListener("click", () => play(i));
    card.addEventListener("focus", () => select(i, false));
    list.append(card);
  });
}

// The subtitle or transcript line a hit matched by, its matched words marked (parts: plain,
// matched, plain, ...); built from text nodes, never from HTML.
function line(speech) {
  const said = document.createElement("q");
  said.className = "said";
  speech.parts.forEach((part, i) => {
    if (i % 2 === 1) {
      const mark = document.createElement("mark");
      mark.textContent = part;
      said.append(mark);
    } else if (part) {
      said.append(document.createTextNode(part));
    }
  });
  said.title = `said at ${clock(speech.start)}` + (speech.language ? ` (${speech.language})` : "");
  return said;
}

function likeThis(segment) {
  state.like = segment;
  $("q").value = "";
  close();
  run();
}

function select(i, focus = true) {
  const cards = $("hits").children;
  if (!cards.length) return;
  state.selected = Math.max(0, Math.min(cards.length - 1, i));
  for (const c of cards) c.classList.remove("selected");
  const card = cards[state.selected];
  card.classList.add("selected");
  if (focus) card.focus();
}

function columns() {
  const cards = $("hits").children;
  if (cards.length < 2) return 1;
  const top = cards[0].offsetTop;
  let n = 0;
  for (const c of cards) { if (c.offsetTop !== top) break; n++; }
  return Math.max(1, n);
}

function play(i) {
  const hit = state.hits[i];
  if (!hit) return;
  state.playing = i;
  remember();
  const video = $("video");
  $("player-title").textContent = hit.file;
  $("player-range").textContent = `${clock(hit.start)} – ${clock(hit.end)}`;
  $("player-message").textContent = "";
  $("player").hidden = false;
  // A hit found by its words plays from where the line is said; the rest from the segment's start.
  const from = hit.speech ? Math.max(0, Math.min(hit.speech.start, hit.end)) : hit.start;
  video.dataset.start = String(from);
  video.dataset.end = String(hit.end);
  video.dataset.segment = String(hit.segment);
  delete video.dataset.played;
  delete video.dataset.cut;
  delete video.dataset.playedFrom;
  video.src = `${hit.media}#t=${from},${hit.end}`;
  const mark = () => {
    const d = video.duration;
    if (!isFinite(d) || d <= 0) return;
    $("marked").style.left = `${(100 * hit.start) / d}%`;
    $("marked").style.width = `${(100 * (hit.end - hit.start)) / d}%`;
  };
  video.onloadedmetadata = () => {
    mark();
    video.currentTime = from;
    video.play().catch(() => { $("player-message").textContent = "Press play to start (the browser held autoplay back)."; });
  };
  video.ontimeupdate = () => {
    video.dataset.currentTime = video.currentTime.toFixed(3);
    if (video.currentTime >= hit.end) {
      if ($("loop").checked) video.currentTime = from;
      else video.pause();
    }
  };
  video.onplaying = () => { video.dataset.played = "1"; if (!video.dataset.playedFrom) video.dataset.playedFrom = video.currentTime.toFixed(3); };
  video.onerror = async () => {
    // A format the browser does not play: the segment cut to MP4 (it starts at 0).
    if (!video.dataset.cut) {
      try {
        const r = await fetch(hit.media, { headers: { Range: "bytes=0-0" } });
        if (r.status === 415) {
          video.dataset.cut = "1";
          const length = hit.end - hit.start;
          video.onloadedmetadata = () => { video.currentTime = 0; video.play().catch(() => {}); };
          video.ontimeupdate = () => {
            video.dataset.currentTime = video.currentTime.toFixed(3);
            if (video.currentTime >= length) { if ($("loop").checked) video.currentTime = 0; else video.pause(); }
          };
          $("player-message").textContent = "Playing the segment cut to MP4 (the file's own format does not play in browsers).";
          video.src = hit.clip;
          return;
        }
      } catch (_) {}
    }
    let why = "This video cannot be played here.";
    try { const v = await api(hit.media.replace(/\/media$/, "")); if (!v.available) why = "This video is no longer on disk (moved or deleted since it was indexed)."; } catch (_) {}
    try {
      const r = await fetch(video.dataset.cut ? hit.clip : hit.media, { headers: { Range: "bytes=0-0" } });
      if (!r.ok) { const b = await r.json(); why = b.error || why; }
    } catch (_) {}
    $("player-message").textContent = why;
  };
  $("close").focus();
}

function close() {
  const video = $("video");
  video.pause();
  video.removeAttribute("src");
  video.load();
  $("player").hidden = true;
  if (state.playing !== null) { const i = state.playing; state.playing = null; remember(); select(i); }
}

function schedule() {
  state.like = null;
  clearTimeout(state.timer);
  state.timer = setTimeout(run, 250);  // debounced: search when typing pauses
}

async function loadStatus() {
  try {
    const w = (await api("/api/status")).watch;
    if (!w || (!w.watching && !w.stopped)) { $("watch").textContent = ""; return; }
    const parts = [`watching ${w.folders.length} folder${w.folders.length === 1 ? "" : "s"}`];
    if (w.current) parts.push(`indexing ${w.current.split("/").pop()}`);
    if (w.queued) parts.push(`${w.queued} waiting`);
    parts.push(`${w.indexed} added, ${w.removed} removed`);
    if (w.errors.length) parts.push(`${w.errors.length} failed (last: ${w.errors[w.errors.length - 1].path.split("/").pop()})`);
    if (w.stopped) parts.push(w.stopped);
    $("watch").textContent = parts.join(" · ");
    if (w.watching) setTimeout(async () => { await loadStatus(); loadStats(); }, 3000);
  } catch (_) { $("watch").textContent = ""; }
}

async function loadStats() {
  try {
    const s = await api("/api/stats");
    $("stats").textContent = `${s.videos} videos, ${s.segments} segments · ${s.model}`;
    if (s.segments === 0) message("The index is empty: add videos with `vidsearch index FOLDER`, then search here.");
  } catch (error) {
    $("stats").textContent = "";
    message(`The server did not answer: ${error.message}`, true);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  const p = new URLSearchParams(location.search);
  $("q").value = p.get("q") || "";
  $("path").value = p.get("path") || "";
  $("group").checked = p.get("group") === "1";
  for (const f of ["after", "before"]) $(f).value = p.get(f) || "";
  if (p.get("like") !== null && /^\d+$/.test(p.get("like"))) state.like = Number(p.get("like"));
  $("search").addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(state.timer); state.like = null; run(); });
  $("q").addEventListener("input", schedule);
  $("path").addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(run, 250); });
  $("group").addEventListener("change", run);
  for (const f of ["after", "before"]) $(f).addEventListener("change", run);
  $("close").addEventListener("click", close);
  $("player").addEventListener("click", (event) => { if (event.target === $("player")) close(); });
  document.addEventListener("keydown", (event) => {
    if (!$("player").hidden) { if (event.key === "Escape") close(); return; }
    const inInput = event.target === $("q") || event.target === $("path");
    if (event.key === "Escape") { if (inInput) { $("q").blur(); select(0); } else $("q").focus(); return; }
    if (inInput && event.key !== "ArrowDown") return;
    const n = columns();
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: n, ArrowUp: -n };
    if (event.key in moves) {
      event.preventDefault();
      if (state.selected < 0 || inInput) select(0); else select(state.selected + moves[event.key]);
      if (event.key === "ArrowUp" && state.selected < n && !inInput && state.selected === 0) $("q").focus();
    } else if (event.key === "Enter" && state.selected >= 0) {
      event.preventDefault();
      play(state.selected);
    }
  });
  await loadStats();
  loadStatus();
  if (state.like !== null || $("q").value.trim()) {
    await run();
    const n = Number(p.get("play"));
    if (n >= 1 && n <= state.hits.length) play(n - 1);
  }
});
