// Apollo Client with its automatic persisted queries link, against the service at argv[2]:
// prints every HTTP exchange and each query's result as JSON (tests/test_persisted.py).
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";

const [, , uri, mode] = process.argv;
const exchanges = [];

async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  const text = await response.clone().text();
  exchanges.push({
    method: init?.method ?? "GET",
    url: String(input),
    body: init?.body ?? null,
    status: response.status,
    etag: response.headers.get("etag"),
    response: text,
  });
  return response;
}

function client() {
  const persisted = createPersistedQueryLink({
    sha256: (query) => createHash("sha256").update(query).digest("hex"),
    useGETForHashedQueries: mode !== "post",
  });
  return new ApolloClient({
    link: persisted.concat(new HttpLink({ uri, fetch: recordingFetch })),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: "no-cache" } },
  });
}

// The operation's name says the mode, so each run starts with a hash the server has not seen.
const TRIALS = gql(`
  query PhaseThreeTrials_${mode}($target: String!) {
    trials(first: 2, filter: { target: $target, phases: [PHASE_3] }, orderBy: { field: START_DATE }) {
      totalCount
      nodes { acronym nctId }
    }
  }
`);

const results = [];
// The first client registers the query (hash, PERSISTED_QUERY_NOT_FOUND, retry with the query);
// a second client, as after a page reload, is answered from the hash alone.
for (const apollo of [client(), client()]) {
  const result = await apollo.query({ query: TRIALS, variables: { target: "CD19" } });
  results.push(result.data);
}
console.log(JSON.stringify({ exchanges, results }));
