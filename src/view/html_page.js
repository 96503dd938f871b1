// html_page.js: the behaviour of tcpsim's HTML page (src/view/html.c embeds
// it). The picture is already drawn (SVG from C); this script moves the
// cursor, dims what has not happened yet, lights each host's state on its
// state diagram, shows the fields of what is clicked, switches seq/ack
// between absolute and relative, and runs the quiz. It reads the run from
// the JSON island with id tcpsim-data (arrays, laid out in html.c) and the page's
// hash: #conn=ID&step=N&quiz&selftest.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("tcpsim-data").textContent);
  const ROW_HEIGHT = 24, TOP = 56;                  // as in html_ladder.c
  const SEND = 0, ARRIVAL = 1, TRANSITION = 2;      // enum html_row_kind
  // Field positions in D.segs and D.trs rows (html.c).
  const S = { id: 0, conn: 1, from: 2, to: 3, seq: 4, ack: 5, flags: 6, len: 7, wnd: 8, mss: 9,
              rtx: 10, sent: 11, arr: 12, fate: 13, names: 14 };
  const T = { t: 0, host: 1, conn: 2, from: 3, to: 4, cause: 5, seg: 6, why: 7 };
  const FLAG_SYN = 2, FLAG_ACK = 16;
  const $ = (id) => document.getElementById(id);
  const sections = Array.from(document.querySelectorAll("section.ladder"));
  const diagrams = Array.from(document.querySelectorAll("figure.diagram"));
  const view = { ladder: 0, steps: 0, relative: false, quiz: D.quiz, timer: null,
                 answered: new Set(), right: 0, asked: 0 };

  const ladder = () => D.ladders[view.ladder];
  const section = () => sections[view.ladder];
  const seconds = (ns) => (ns / 1e9).toFixed(3) + " s";
  const hostName = (h) => D.hosts[h];
  const sideOf = (l, host) => (l.hosts[0] === host ? 0 : l.hosts[1] === host ? 1 : -1);

  // seq counts from the sender's ISN, ack from the receiver's, in relative mode.
  function numbers(l, seg) {
    const side = sideOf(l, seg[S.from]);
    if (!view.relative || side < 0) return { seq: seg[S.seq], ack: seg[S.ack] };
    return { seq: (seg[S.seq] - l.isn[side]) >>> 0, ack: (seg[S.ack] - l.isn[1 - side]) >>> 0 };
  }

  // Each side's state after the first `steps` rows, and the edges it took.
  function statesAfter(l, steps) {
    const out = [0, 1].map((s) => ({ state: l.init[s], edges: new Set(), visited: new Set([l.init[s]]),
                                     last: null }));
    for (let r = 0; r < steps; r++) {
      const row = l.rows[r];
      if (row[0] !== TRANSITION) continue;
      const tr = D.trs[row[2]], side = sideOf(l, tr[T.host]);
      if (side < 0) continue;
      out[side].state = tr[T.to];
      out[side].visited.add(tr[T.to]);
      out[side].edges.add(D.states[tr[T.from]] + ">" + D.states[tr[T.to]]);
      out[side].last = { tr: tr, row: r };
    }
    return out;
  }

  function isQuestion(l, r) {
    return r >= 0 && r < l.rows.length && l.rows[r][0] !== ARRIVAL;
  }
  const quizKey = (r) => view.ladder + ":" + r;
  const blanked = (r) => view.quiz && isQuestion(ladder(), r) && !view.answered.has(quizKey(r));

  // The notes are plain text (tspans would cost 1 MB pages dearly): the
  // numbers and the new state are rewritten in place.
  function showNumbers() {
    sections.forEach((sec, i) => {
      const l = D.ladders[i];
      sec.querySelectorAll("text.note.k0").forEach((note) => {
        const r = +note.dataset.row, seg = D.segs[l.rows[r][1]], n = numbers(l, seg);
        const hide = i === view.ladder && blanked(r);
        note.textContent = note.textContent.replace(/seq=\S+/, "seq=" + (hide ? "?" : n.seq))
          .replace(/ack=\S+/, "ack=" + (hide ? "?" : n.ack));
      });
      sec.querySelectorAll("text.note.k2").forEach((note) => {
        const r = +note.dataset.row, hide = i === view.ladder && blanked(r);
        const to = hide ? "?" : D.states[D.trs[l.rows[r][2]][T.to]];
        note.textContent = note.textContent.replace(/\u2192 \S+/, "\u2192 " + to);
      });
      sec.querySelectorAll("text.state:not(.initial)").forEach((label) => {
        const r = +label.dataset.row, hide = i === view.ladder && blanked(r);
        label.textContent = hide ? "?" : label.dataset.state;
      });
    });
  }

  function drawDiagrams(l) {
    const now = statesAfter(l, view.steps);
    const lastRow = view.steps - 1;
    diagrams.forEach((fig, side) => {
      const st = now[side];
      const hide = blanked(lastRow) && st.last && st.last.row === lastRow;
      fig.querySelector(".host").textContent = hostName(l.hosts[side]);
      fig.querySelector(".now").textContent = hide ? "now: ?" : "now: " + D.states[st.state];
      // CLOSED is drawn twice: the top box before the first transition and
      // after a failed open, the bottom box (data-box="end") after a close.
      const early = ["LISTEN", "SYN_SENT", "SYN_RECEIVED"];
      const ended = st.last && !early.includes(D.states[st.last.tr[T.from]]);
      fig.querySelectorAll(".node").forEach((node) => {
        const state = D.states.indexOf(node.dataset.node);
        const box = state !== 0 || ended === (node.dataset.box === "end");
        node.classList.toggle("lit", !hide && state === st.state && box);
        node.classList.toggle("visited", st.visited.has(state));
      });
      fig.querySelectorAll(".edge").forEach((edge) => {
        const taken = st.edges.has(edge.dataset.edge) && !(hide && edge.dataset.edge ===
          D.states[st.last.tr[T.from]] + ">" + D.states[st.last.tr[T.to]]);
        edge.classList.toggle("taken", taken);
        edge.classList.toggle("current", taken && st.last && st.last.row === lastRow);
      });
      const last = st.last && !hide ? st.last.tr : null;
      fig.querySelector(".last").textContent = last
        ? "last: " + D.states[last[T.from]] + " \u2192 " + D.states[last[T.to]] + " (" +
          D.causes[last[T.cause]] + ") at " + seconds(last[T.t])
        : "\u00a0";
    });
  }

  function render() {
    const l = ladder(), sec = section();
    sections.forEach((s, i) => { s.hidden = i !== view.ladder; });
    sec.querySelectorAll("[data-row]").forEach((el) => {
      el.classList.toggle("future", +el.dataset.row >= view.steps);
    });
    const cursor = sec.querySelector(".cursor");
    cursor.setAttribute("y", TOP + (view.steps - 1) * ROW_HEIGHT);
    cursor.style.display = view.steps > 0 ? "" : "none";
    const slider = $("slider");
    slider.max = l.rows.length;
    slider.value = view.steps;
    const row = l.rows[view.steps - 1];
    $("now").textContent = row ? seconds(rowTime(row)) + " (event " + view.steps + " of " +
      l.rows.length + ")" : "start";
    showNumbers();
    drawDiagrams(l);
    showQuiz();
    if (view.steps > 0 && !view.selftest) scrollToRow(view.steps - 1);
  }

  function rowTime(row) {
    if (row[0] === TRANSITION) return D.trs[row[2]][T.t];
    const seg = D.segs[row[1]];
    return row[0] === SEND ? seg[S.sent] : seg[S.arr];
  }

  function scrollToRow(r) {
    const rect = section().querySelector(".cursor").getBoundingClientRect();
    if (rect.top < 60 || rect.bottom > window.innerHeight - 10)
      window.scrollBy(0, rect.top - window.innerHeight / 2);
    void r;
  }

  function step(to) {
    const n = ladder().rows.length;
    to = Math.max(0, Math.min(n, to));
    if (view.quiz && to > view.steps && blanked(view.steps - 1)) {
      $("quiz").classList.add("wait");
      return false;
    }
    view.steps = to;
    render();
    return true;
  }

  function play() {
    if (view.timer) {
      clearInterval(view.timer);
      view.timer = null;
      $("play").textContent = "play";
      return;
    }
    $("play").textContent = "pause";
    view.timer = setInterval(() => {
      if (view.steps >= ladder().rows.length || !step(view.steps + 1)) play();
    }, 1000 / +$("speed").value);
  }

  // ---- details of what is clicked ----

  function table(rows) {
    return "<table>" + rows.map(([k, v]) => "<tr><td>" + k + "</td><td>" + v + "</td></tr>").join("") +
      "</table>";
  }
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  function segmentDetails(l, si) {
    const seg = D.segs[si], n = numbers(l, seg), mode = view.relative ? " (relative)" : "";
    return "<b>segment #" + seg[S.id] + "</b>" + table([
      ["from \u2192 to", esc(hostName(seg[S.from]) + " \u2192 " + hostName(seg[S.to]))],
      ["flags", seg[S.names]], ["seq" + mode, n.seq],
      ["ack" + mode, seg[S.flags] & FLAG_ACK ? n.ack : "(no ACK flag)"],
      ["len", seg[S.len]], ["window", seg[S.wnd]], ["MSS option", seg[S.mss] || "none"],
      ["retransmission", seg[S.rtx] ? "yes: the sender sent these numbers before" : "no"],
      ["sent", seconds(seg[S.sent])], ["arrived", seg[S.arr] >= 0 ? seconds(seg[S.arr]) : "never"],
      ["fate", D.fates[seg[S.fate]]], ["connection", seg[S.conn]]]);
  }

  function transitionDetails(ti) {
    const tr = D.trs[ti], why = D.why[tr[T.why]];
    const section = /\(([^()]*)\)\s*$/.exec(why);
    return "<b>" + esc(hostName(tr[T.host])) + ": " + D.states[tr[T.from]] + " \u2192 " +
      D.states[tr[T.to]] + "</b>" + table([
        ["time", seconds(tr[T.t])], ["cause", esc(D.causes[tr[T.cause]] || "none")],
        ["segment", tr[T.seg] ? "#" + tr[T.seg] : "none (timer or application)"],
        ["connection", tr[T.conn] || "listener"],
        ["RFC", section ? "RFC 9293 " + esc(section[1]) : ""]]) +
      "<p class=\"why\">" + esc(why) + "</p>";
  }

  function pick(el) {
    const r = +el.dataset.row, l = ladder(), row = l.rows[r];
    if (blanked(r)) {
      $("details").innerHTML = "<p class=\"hint\">Answer the quiz question first.</p>";
      return;
    }
    document.querySelectorAll(".picked").forEach((p) => p.classList.remove("picked"));
    el.classList.add("picked");
    let html = "";
    if (el.classList.contains("seg") || row[0] !== TRANSITION) html = segmentDetails(l, row[1]);
    if (!el.classList.contains("seg") && row[0] === TRANSITION) {
      html = transitionDetails(row[2]);
      if (row[1] >= 0) html += "<hr>" + segmentDetails(l, row[1]);
    }
    $("details").innerHTML = html;
  }

  // ---- quiz ----

  function showQuiz() {
    const box = $("quiz");
    box.hidden = !view.quiz;
    document.body.classList.toggle("quiz", view.quiz);
    $("quizmode").checked = view.quiz;
    $("score").textContent = view.quiz ? "score " + view.right + " / " + view.asked : "";
    if (!view.quiz) return;
    const l = ladder(), r = view.steps - 1;
    box.classList.remove("wait");
    if (!blanked(r)) {
      if (!box.querySelector(".result")) box.innerHTML = "<p class=\"hint\">Quiz: step forward " +
        "(\u25B6 or the right arrow key); each new segment's seq/ack and each new state is blanked " +
        "for you to fill in.</p>";
      return;
    }
    const row = l.rows[r], mode = view.relative ? "relative" : "absolute";
    let html = "";
    if (row[0] === SEND) {
      const seg = D.segs[row[1]];
      html = "<b>" + esc(hostName(seg[S.from])) + " sends " + seg[S.names] + "</b> (" + mode +
        " numbers)<br><label>seq <input id=\"q-seq\" inputmode=\"numeric\"></label>";
      if (seg[S.flags] & FLAG_ACK) html += " <label>ack <input id=\"q-ack\" inputmode=\"numeric\"></label>";
    } else {
      const tr = D.trs[row[2]];
      html = "<b>" + esc(hostName(tr[T.host])) + " was in " + D.states[tr[T.from]] + "; " +
        esc(D.causes[tr[T.cause]]) + ". Next state?</b><br><select id=\"q-state\"><option></option>" +
        D.states.map((s, i) => "<option value=\"" + i + "\">" + s + "</option>").join("") + "</select>";
    }
    box.innerHTML = html + " <button id=\"q-check\">check</button> <button id=\"q-reveal\">reveal</button>";
    $("q-check").onclick = () => checkAnswer(false);
    $("q-reveal").onclick = () => checkAnswer(true);
    const first = box.querySelector("input, select");
    if (first && !view.selftest) first.focus({ preventScroll: true });
  }

  function checkAnswer(giveUp) {
    const l = ladder(), r = view.steps - 1, row = l.rows[r], results = [];
    const judge = (name, input, truth) => {
      const answer = giveUp || !input ? NaN : Number(input.value.trim());
      const right = answer === truth;
      view.asked++;
      if (right) view.right++;
      results.push("<span class=\"" + (right ? "right" : "wrong") + "\">" + name + " " +
        (right ? "\u2713" : "\u2717 " + (giveUp ? "" : esc(input.value) + " ") + "\u2192 " +
        (name === "state" ? D.states[truth] : truth)) + "</span>");
    };
    if (row[0] === SEND) {
      const seg = D.segs[row[1]], n = numbers(l, seg);
      judge("seq", $("q-seq"), n.seq);
      if (seg[S.flags] & FLAG_ACK) judge("ack", $("q-ack"), n.ack);
    } else {
      judge("state", $("q-state"), D.trs[row[2]][T.to]);
    }
    view.answered.add(quizKey(r));
    render();
    $("quiz").innerHTML = "<p class=\"result\">" + results.join(" ") + "</p>";
    pick(section().querySelector("[data-row=\"" + r + "\"].note"));
  }

  // ---- wiring ----

  function chooseLadder(i) {
    view.ladder = i;
    view.steps = 0;
    $("conn").value = i;
    render();
  }

  function wire() {
    const select = $("conn");
    D.ladders.forEach((l, i) => {
      const o = document.createElement("option");
      o.value = i;
      o.textContent = (l.conn ? "conn " + l.conn + ": " : "") + hostName(l.hosts[0]) + " \u2194 " +
        hostName(l.hosts[1]) + " (" + l.rows.length + " events)";
      select.appendChild(o);
    });
    select.onchange = () => chooseLadder(+select.value);
    $("first").onclick = () => step(0);
    $("prev").onclick = () => step(view.steps - 1);
    $("next").onclick = () => step(view.steps + 1);
    $("last").onclick = () => step(ladder().rows.length);
    $("play").onclick = play;
    $("speed").onchange = () => { if (view.timer) { play(); play(); } };
    $("slider").oninput = () => step(+$("slider").value);
    $("relative").onchange = () => { view.relative = $("relative").checked; render(); };
    $("quizmode").onchange = () => { view.quiz = $("quizmode").checked; render(); };
    document.addEventListener("keydown", (e) => {
      if (e.target.closest && e.target.closest("input, select, textarea")) {
        if (e.key === "Enter" && view.quiz && e.target.closest("#quiz")) checkAnswer(false);
        return;
      }
      const keys = { ArrowRight: () => step(view.steps + 1), ArrowLeft: () => step(view.steps - 1),
                     Home: () => step(0), End: () => step(ladder().rows.length), " ": play };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
    sections.forEach((sec) => sec.addEventListener("click", (e) => {
      const el = e.target.closest("[data-row]");
      if (el && !el.classList.contains("future")) pick(el);
    }));
  }

  // #selftest: step through every ladder and write what each transition
  // shows (host, state label, lit diagram state, time) into <pre
  // id="selftest">, for tests/html.sh to compare with the database.
  function selftest() {
    const out = [], errors = [];
    window.addEventListener("error", (e) => errors.push(String(e.message)));
    D.ladders.forEach((l, i) => {
      chooseLadder(i);
      for (let s = 1; s <= l.rows.length; s++) {
        step(s);
        const row = l.rows[s - 1];
        if (row[0] !== TRANSITION) continue;
        const tr = D.trs[row[2]], side = sideOf(l, tr[T.host]);
        const label = section().querySelector("text.state[data-row=\"" + (s - 1) + "\"]");
        const lit = diagrams[side].querySelector(".node.lit");
        out.push([l.conn, hostName(tr[T.host]), label.dataset.state, lit ? lit.dataset.node : "-",
                  label.dataset.timeNs].join(" "));
      }
    });
    const pre = document.createElement("pre");
    pre.id = "selftest";
    pre.textContent = "arrows " + document.querySelectorAll("[data-seg-id]").length + "\n" +
      out.join("\n") + "\n" + errors.map((e) => "error " + e).join("\n");
    document.body.appendChild(pre);
  }

  function fromHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    if (h.has("quiz")) view.quiz = true;
    view.selftest = h.has("selftest");
    const conn = h.get("conn");
    const i = conn ? D.ladders.findIndex((l) => String(l.conn) === conn) : 0;
    chooseLadder(i >= 0 ? i : 0);
    if (h.has("step")) step(+h.get("step"));
    if (view.selftest) selftest();
  }

  wire();
  fromHash();
})();
