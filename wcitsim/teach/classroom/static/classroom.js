// wcitsim class role play: helpers shared by the students' and the teacher's pages and the debrief page. No outside requests.
"use strict";

const $ = (selector) => document.querySelector(selector);

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// the banner that says the server cannot be reached: shown while a request fails, gone at the first answer
function connection(reached) {
  const banner = $("#offline");
  if (banner) banner.classList.toggle("hidden", reached);
}

async function api(path, body) {
  const options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  try {
    const response = await fetch(path, options);
    connection(true);
    const data = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    connection(false);
    return { ok: false, status: 0, data: { error: "the server cannot be reached" } };
  }
}

function say(text, kind = "info") {
  const box = $("#message");
  if (!text) { box.className = "message hidden"; box.textContent = ""; return; }
  box.className = `message ${kind}`;
  box.textContent = text;
}

// a refusal in the message box; a server that cannot be reached is the offline banner's to say
// Before the deadline the projection weighs the draft alone; the votes at the deadline lower it.
const DRAFT_ALONE = "This weighs the draft alone: at the deadline a delegation outvoted on a clause it cares about is less likely to sign, so fewer usually sign in the end.";

function refusal(r) { if (r.status) say(r.data.error, "error"); }

const PHASE_NAMES = { lobby: "Lobby: delegations are being claimed", negotiate: "Negotiation", vote: "Vote on contested clauses", sign: "Signing", done: "The conference is over" };

function phaseTitle(state) {
  if (state.phase === "negotiate") return `Session ${state.session} of ${state.sessions}`;
  return PHASE_NAMES[state.phase] || state.phase;
}

// where the conference is: the lobby, each session, the vote, the signing, the debrief; the current step marked
function track(state) {
  const steps = [{ key: "lobby", label: "Lobby", title: "the lobby" }];
  for (let k = 1; k <= state.sessions; k++) steps.push({ key: `s${k}`, label: String(k), title: `session ${k} of ${state.sessions}` });
  steps.push({ key: "vote", label: "Vote", title: "the vote" }, { key: "sign", label: "Signing", title: "the signing" }, { key: "done", label: "Debrief", title: "the debrief" });
  const at = steps.findIndex((s) => s.key === (state.phase === "negotiate" ? `s${state.session}` : state.phase));
  return steps.map((s, i) => `<li class="${i < at ? "past" : i === at ? "current" : ""}" title="${esc(s.title)}"${i === at ? ' aria-current="step"' : ""}>${esc(s.label)}</li>`).join("");
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

// ---------------------------------------------------------------- the glossary
let glossary = { terms: [], pattern: null, definitions: new Map() };

function setGlossary(terms) {
  const definitions = new Map();
  terms.forEach((t) => t.match.forEach((m) => definitions.set(m, t.definition)));
  const words = [...definitions.keys()].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  glossary = { terms, definitions, pattern: words.length ? new RegExp(`(?<![\\w-])(${words.join("|")})(?![\\w-])`) : null };
}

async function loadGlossary() {
  const r = await api("/api/glossary");
  if (r.ok) setGlossary(r.data.terms);
  return r.ok;
}

// ``text`` escaped, each glossary term in it an <abbr> that shows its definition on hover
function gloss(text) {
  const plain = String(text ?? "");
  if (!glossary.pattern) return esc(plain);
  return plain.split(glossary.pattern).map((part, i) => (i % 2 ? `<abbr title="${esc(glossary.definitions.get(part))}">${esc(part)}</abbr>` : esc(part))).join("");
}

function glossaryList() {
  return glossary.terms.map((t) => `<dt>${esc(t.term)}</dt><dd>${esc(t.definition)}</dd>`).join("");
}

// ---------------------------------------------------------------- tables
// a table whose rows become labelled blocks on a narrow screen (classroom.css: table.stack)
// rows: arrays of cells (HTML), or {cells, attrs} with the row's attributes (HTML)
function table(headers, rows, empty = "") {
  const labels = headers.map((h) => h.replace(/<[^>]*>/g, ""));
  const body = rows.map((row) => {
    const cells = Array.isArray(row) ? row : row.cells;
    return `<tr ${Array.isArray(row) ? "" : row.attrs || ""}>${cells.map((c, i) => `<td data-label="${esc(labels[i])}">${c}</td>`).join("")}</tr>`;
  }).join("");
  const none = `<tr><td colspan="${headers.length}">${esc(empty)}</td></tr>`;
  return `<div class="scroll"><table class="stack"><thead><tr>${headers.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead><tbody>${body || none}</tbody></table></div>`;
}

function optionLabel(clause, index) { return index === null || index === undefined ? "–" : clause.options[index]; }
function option(clause, index) { return gloss(optionLabel(clause, index)); }

function salienceBar(value) { return `<span class="salience"><span class="bar" style="width:${Math.round(value * 160)}px"></span> ${Math.round(value * 100)}%</span>`; }

// a delegation by its name and its ISO3 code, once: "United States (USA)"
function delegationName(d) { return `${esc(d.name)} (${esc(d.iso3)})`; }

// who is seated, against the ITU's Member States (``record``: the public view's or the debrief's)
function seatedWords(seated, record) {
  return seated === record.members ? `all ${seated} ITU Member States are seated` : `${seated} of the ${record.members} ITU Member States are seated`;
}

function percent(p) { return `${Math.round(p * 100)}%`; }

// a payoff in utility (−1 to +1), signed, to three decimals
function payoff(x) { return x === null || x === undefined ? "–" : `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(3)}`; }

// ---------------------------------------------------------------- the debrief
function debriefTables(d) {
  const seated = d.delegations.length, r = d.record, m = d.model_range;
  const summary = (name, s) => [name, String(s.signed), `${s.signed_known} of ${r.known}`, s.agree_known === null ? "–" : percent(s.agree_known), String(s.eligible_signed)];
  const summaryRows = [
    summary("class", d.class), summary("model alone (same seed)", d.model),
    [`model alone, ${m.runs} runs`, `${m.signed_mean} (90%: ${m.signed_interval[0]}–${m.signed_interval[1]})`, "–", "–", `${m.eligible_mean} (90%: ${m.eligible_interval[0]}–${m.eligible_interval[1]})`],
    ["history", "–", `${r.signed_known} of ${r.known}`, "100%", `${r.signed} of ${r.eligible}`],
  ];
  const labels = d.clause_labels || d.clauses;
  const text = d.clauses.map((c, k) => [gloss(labels[k]), gloss(d.class.text[k]), percent(d.model_range.text_share[k]), gloss(d.model.text[k]), gloss(d.final_acts[k] ?? "unknown")]);
  const decided = (signed) => (signed ? "signed" : "did not sign");
  const rows = d.students.map((s) => [delegationName(s), gloss(s.group), String(s.acted_steps), s.deviation ?? "–",
    `<span class="${Math.abs(s.won) < 5e-4 ? "" : s.won > 0 ? "yes" : "no"}">${payoff(s.won)}</span>`, payoff(s.text_won), decided(s.class_signed),
    `${decided(s.model_signed)} (p = ${percent(s.model_p_sign)})`, esc(s.record.replace("_", " "))]);
  return `
  <h2>Debrief: the class, the model alone (same seed) and history</h2>
  ${table(["", `signatories, of the ${seated} seated`, `signed, of the ${r.known} whose decision is known`, `agreement with the record, on those ${r.known}`, `signatories, of the ${r.eligible} with signing rights`], summaryRows.map((row) => row.map(esc)))}
  <p class="muted">Three counts, three bases. In the class ${seatedWords(seated, r)}. The record establishes the decision of ${r.known} of them (${r.signed_known} signed).
  ${r.eligible} states had signing rights in Dubai and ${r.signed} signed; the record does not name the ${r.eligible - r.known} beyond the ${r.known} known, so the count among the ${r.eligible} adds to the known signatories
  ${r.eligible - r.known} states signing as often as the seated states whose decision is unknown did (an estimate, hence a fraction).</p>
  <p class="muted">The class's signatories are above ${percent(m.class_percentile)} of the model's ${m.runs} runs (ties counted half).</p>
  <h2>The text, clause by clause</h2>
  ${table(["clause", "class", "model runs with the class's option", "model alone (same seed)", "Final Acts"], text)}
  <h2>Student delegations</h2>
  <p class="muted"><b>Deviation</b>: how far the students' positions stood from the delegation's seeded interest, weighted by salience (0 none, 1 the whole scale).
  <b>Payoffs</b> are in utility, judged by the seeded interests: the salience-weighted distance the text moved the clauses toward (+) or away from (−) the delegation's interest, against the 1988 text,
  with each clause's scale from 0 to 1 and the saliences adding up to 1; a payoff runs from −1 to +1 (+0.100 is, for example, one clause of 20% salience moved half its scale toward the interest).
  A state that does not sign stays under the 1988 rules: payoff 0. <b>Won / lost</b>: the class payoff minus the model-only payoff; <b>of which the text</b>: the class text's utility minus the model-only text's.</p>
  ${table(["delegation", "group", "steps acted", "deviation (0–1)", "won / lost (utility)", "of which the text", "class", "model alone", "record"], rows, "no delegation was played by students")}
  <p>Decisions that differ from the model-only run: ${d.changed_decisions.map((c) => delegationName(d.delegations.find((x) => x.iso3 === c) || { iso3: c, name: c })).join(", ") || "none"}.</p>`;
}
