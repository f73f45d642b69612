// wcitsim class role play: helpers shared by the students' and the teacher's pages. No outside requests.
"use strict";

const $ = (selector) => document.querySelector(selector);

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path, body) {
  const options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  try {
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: { error: "the server cannot be reached; it may be restarting — this page keeps trying" } };
  }
}

function say(text, kind = "info") {
  const box = $("#message");
  if (!text) { box.className = "message hidden"; box.textContent = ""; return; }
  box.className = `message ${kind}`;
  box.textContent = text;
}

const PHASE_NAMES = { lobby: "Lobby: delegations are being claimed", negotiate: "Negotiation", vote: "Vote on contested clauses", sign: "Signing", done: "The conference is over" };

function phaseTitle(state) {
  if (state.phase === "negotiate") return `Session ${state.session} of ${state.sessions}`;
  return PHASE_NAMES[state.phase] || state.phase;
}

// a countdown that runs between polls
const clock = { left: null, paused: false, at: 0 };
function setClock(state) { clock.left = state.time_left; clock.paused = state.paused; clock.at = performance.now(); }
function showClock() {
  const el = $("#clock");
  if (!el) return;
  if (clock.left === null || clock.left === undefined) { el.textContent = ""; return; }
  const left = clock.paused ? clock.left : Math.max(0, clock.left - (performance.now() - clock.at) / 1000);
  const m = Math.floor(left / 60), s = Math.floor(left % 60);
  el.textContent = clock.paused ? `paused (${m}:${String(s).padStart(2, "0")} left)` : left > 0 ? `${m}:${String(s).padStart(2, "0")}` : "time is up";
}
setInterval(showClock, 250);

function optionLabel(clause, index) { return index === null || index === undefined ? "–" : clause.options[index]; }

function salienceBar(value) { return `<span class="bar" style="width:${Math.round(value * 160)}px"></span> ${Math.round(value * 100)}%`; }

function debriefTables(d) {
  const summary = (name, s) => `<tr><td>${name}</td><td>${s.signed}</td><td>${s.signed_known} of ${d.record.known}</td><td>${s.agree_known ?? "–"}</td><td>${s.eligible_signed}</td></tr>`;
  const text = d.clauses.map((c, k) => `<tr><td>${esc(c)}</td><td>${esc(d.class.text[k])}</td><td>${Math.round(d.model_range.text_share[k] * 100)}%</td><td>${esc(d.model.text[k])}</td><td>${esc(d.final_acts[k] ?? "unknown")}</td></tr>`).join("");
  const m = d.model_range;
  const rows = d.students.map((s) => `<tr><td>${esc(s.iso3)} ${esc(s.name)}</td><td>${esc(s.group)}</td><td>${s.acted_steps}</td><td>${s.deviation ?? "–"}</td><td class="${s.won >= 0 ? "yes" : "no"}">${s.won > 0 ? "+" : ""}${s.won}</td><td>${s.text_won > 0 ? "+" : ""}${s.text_won}</td><td>${s.class_signed ? "signed" : "did not sign"}</td><td>${s.model_signed ? "signed" : "did not sign"} (p ${s.model_p_sign})</td><td>${esc(s.record.replace("_", " "))}</td></tr>`).join("");
  return `
  <h2>Debrief: the class, the model alone (same seed) and history</h2>
  <table><tr><th></th><th>signatories (of all seated)</th><th>signed among states whose decision is known</th><th>agreement with the record</th><th>of the 144 with signing rights</th></tr>
  ${summary("class", d.class)}${summary("model alone (same seed)", d.model)}
  <tr><td>model alone, ${m.runs} runs</td><td>${m.signed_mean} (90%: ${m.signed_interval[0]}–${m.signed_interval[1]})</td><td>–</td><td>–</td><td>${m.eligible_mean} (90%: ${m.eligible_interval[0]}–${m.eligible_interval[1]})</td></tr>
  <tr><td>history</td><td>–</td><td>${d.record.signed_known} of ${d.record.known}</td><td>1</td><td>${d.record.signed} of ${d.record.eligible}</td></tr></table>
  <p class="muted">The class's signatories are above ${Math.round(m.class_percentile * 100)}% of the model's ${m.runs} runs (ties counted half).</p>
  <h2>The text, clause by clause</h2>
  <table><tr><th>clause</th><th>class</th><th>model runs with the class's option</th><th>model alone (same seed)</th><th>Final Acts</th></tr>${text}</table>
  <h2>Student delegations</h2>
  <p class="muted">Deviation: how far the students' positions stood from the delegation's seeded interest (0 none, 1 the whole scale), weighted by salience. Payoff, judged by the seeded interests: a signatory gets the text's gain over the 1988 text, a state that does not sign stays under the 1988 rules (0). Won: the class payoff minus the model-only payoff; of which the text: the class text's utility minus the model-only text's.</p>
  <table><tr><th>delegation</th><th>group</th><th>steps acted</th><th>deviation</th><th>won / lost</th><th>of which the text</th><th>class</th><th>model alone</th><th>record</th></tr>${rows || '<tr><td colspan="9">no delegation was played by students</td></tr>'}</table>
  <p>Decisions that differ from the model-only run: ${d.changed_decisions.length ? d.changed_decisions.map(esc).join(", ") : "none"}.</p>`;
}
