// The frontend example: plain JavaScript against the GraphQL API. GET requests (cacheable,
// ETag per data release); `?api=http://host:port` points it at a service on another origin
// (CORS allows any origin for reads by default).
"use strict";

const API = new URLSearchParams(window.location.search).get("api") || window.location.origin;

const SUGGEST = `query Suggest($prefix: String!) {
  suggest(prefix: $prefix, types: [AGENT], first: 8) { id label matchedText }
}`;

const AGENT = `query AgentTrials($name: String!) {
  agent(name: $name) {
    name modality developmentStatus brandNames
    targets { symbol }
    trials { acronym nctId phase status title }
  }
}`;

async function graphql(query, variables) {
  const url = new URL("/graphql", API);
  url.searchParams.set("query", query);
  url.searchParams.set("variables", JSON.stringify(variables));
  const response = await fetch(url, { headers: { accept: "application/json" } });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

const search = document.getElementById("search");
const list = document.getElementById("suggestions");
const status = document.getElementById("status");
let pending = 0;
let timer = null;

function showSuggestions(hits) {
  list.replaceChildren(
    ...hits.map((hit, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = `suggestion-${index}`;
      item.dataset.label = hit.label;
      item.textContent = hit.label + " ";
      if (hit.matchedText && hit.matchedText !== hit.label) {
        const small = document.createElement("small");
        small.textContent = `(${hit.matchedText})`;
        item.append(small);
      }
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(hit.label);
      });
      return item;
    })
  );
  list.hidden = hits.length === 0;
  search.parentElement.setAttribute("aria-expanded", String(!list.hidden));
}

search.addEventListener("input", () => {
  clearTimeout(timer);
  const prefix = search.value.trim();
  if (prefix.length < 2) {
    showSuggestions([]);
    return;
  }
  timer = setTimeout(async () => {
    const request = ++pending;
    try {
      const data = await graphql(SUGGEST, { prefix });
      if (request === pending) showSuggestions(data.suggest);
    } catch (error) {
      status.textContent = `Search failed: ${error.message}`;
    }
  }, 150);
});

search.addEventListener("keydown", (event) => {
  const items = [...list.children];
  const current = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const next = (current + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
    items.forEach((item, index) => item.setAttribute("aria-selected", String(index === next)));
  } else if (event.key === "Enter") {
    const chosen = items[current] || items[0];
    if (chosen) choose(chosen.dataset.label);
  } else if (event.key === "Escape") {
    showSuggestions([]);
  }
});

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  row.append(td);
}

async function choose(name) {
  showSuggestions([]);
  search.value = name;
  status.textContent = "Loading…";
  try {
    const { agent } = await graphql(AGENT, { name });
    if (!agent) {
      status.textContent = `No agent named ${name}.`;
      return;
    }
    document.getElementById("agent-name").textContent = agent.name;
    const brands = agent.brandNames.length ? ` (${agent.brandNames.join(", ")})` : "";
    document.getElementById("agent-summary").textContent =
      `${agent.modality} · ${agent.developmentStatus} · targets ${agent.targets.map((t) => t.symbol).join(", ")}${brands}`;
    const rows = agent.trials.map((trial) => {
      const row = document.createElement("tr");
      for (const value of [trial.acronym, trial.nctId, trial.phase, trial.status, trial.title]) cell(row, value);
      return row;
    });
    document.querySelector("#trials tbody").replaceChildren(...rows);
    const filter = new URLSearchParams({ agent: agent.name, withHazardRatio: "true", title: `${agent.name}: hazard ratios` });
    const plot = new URL(`/plots/efficacy.svg?${filter}`, API);
    document.getElementById("forest").src = plot;
    document.getElementById("plot-svg").href = plot;
    document.getElementById("plot-png").href = new URL(`/plots/efficacy.png?${filter}`, API);
    document.getElementById("efficacy-csv").href = new URL(`/csv/efficacy?agent=${encodeURIComponent(agent.name)}`, API);
    document.getElementById("agent").hidden = false;
    status.textContent = `${agent.trials.length} trials`;
  } catch (error) {
    status.textContent = `Could not load ${name}: ${error.message}`;
  }
}
