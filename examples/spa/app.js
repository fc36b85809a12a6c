// The single-page app: signs a user in with oidc-client-ts (Authorization Code + PKCE, S256), shows who is
// signed in (from the ID token), lists, creates and deletes the user's own items with the access token,
// renews that token with the refresh token when it has expired (or the API says 401), explains a 403 and
// signs out (RP-initiated logout). No build step: plain browser JavaScript, `oidc` comes from the library.
//
// Its settings come from config.json next to this page (`make run` serves one for the local issuer):
//   authority   the issuer (for Auth0: https://YOUR_TENANT.auth0.com/)
//   client_id   the application's client id (local: dev-spa)
//   audience    the API identifier (Auth0's `audience` parameter)
//   api         the API's base URL
//   scopes      {"METHOD /path": ["permission", ...]}: which permission each route needs (template.yaml)
"use strict";

const $ = (id) => document.getElementById(id);
let config;
let manager;

function show(signedIn) {
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
}

function fail(message) {
  $("error").textContent = message;
}

async function currentUser() {
  const user = await manager.getUser();
  if (user && user.expired && user.refresh_token) {
    // signinSilent() uses the refresh token when there is one (grant_type=refresh_token): no new sign-in.
    return manager.signinSilent();
  }
  return user;
}

function tokenPermissions(accessToken) {
  try {
    const payload = accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).permissions || [];
  } catch {
    return [];
  }
}

// A 403 names no permission (API Gateway answers {"message": "Forbidden"}): the route table says which.
function explainForbidden(route, accessToken) {
  const needed = (config.scopes[route] || []).join(" and ");
  const held = tokenPermissions(accessToken);
  const holds = held.length ? held.join(", ") : "no permission";
  return `Not allowed: ${route} needs the ${needed} permission; your access token carries ${holds}.`;
}

// Calls the API with the access token; on 401 renews the token once (refresh token) and tries again.
async function api(method, path, route, body) {
  let user = await currentUser();
  if (!user) {
    show(false);
    throw new Error("You are signed out.");
  }
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(config.api.replace(/\/$/, "") + path, {
      method,
      headers: {
        Authorization: `Bearer ${user.access_token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status === 401 && attempt === 0 && user.refresh_token) {
      user = await manager.signinSilent();
      continue;
    }
    if (response.status === 403) {
      throw new Error(explainForbidden(route, user.access_token));
    }
    if (!response.ok) {
      throw new Error(`${method} ${path}: HTTP ${response.status}`);
    }
    return response.status === 204 ? null : response.json();
  }
}

function renderItems(items) {
  const list = $("items");
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = item.name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Delete";
    remove.addEventListener("click", () => guarded(() => deleteItem(item.id)));
    li.append(name, " ", remove);
    list.append(li);
  }
  $("status").textContent = `${items.length} item(s)`;
}

async function loadItems() {
  const page = await api("GET", "/items", "GET /items");
  renderItems(page.items);
}

async function createItem(name) {
  await api("POST", "/items", "POST /items", { name });
  await loadItems();
}

async function deleteItem(id) {
  await api("DELETE", `/items/${encodeURIComponent(id)}`, "DELETE /items/{id}");
  await loadItems();
}

async function guarded(action) {
  fail("");
  try {
    await action();
  } catch (error) {
    fail(error.message);
  }
}

async function start() {
  config = await (await fetch("config.json")).json();
  manager = new oidc.UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: new URL(".", location.href).href,
    post_logout_redirect_uri: new URL(".", location.href).href,
    response_type: "code",
    // offline_access: a refresh token (Auth0: "Allow Offline Access" on the API, rotation on the app).
    scope: "openid profile offline_access read:items write:items delete:items",
    extraQueryParams: { audience: config.audience },
    // Renewal happens when a call needs it (see currentUser and api), not on a timer.
    automaticSilentRenew: false,
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  });
  $("sign-in").addEventListener("click", () => guarded(() => manager.signinRedirect()));
  $("sign-out").addEventListener("click", () => guarded(() => manager.signoutRedirect()));
  $("reload").addEventListener("click", () => guarded(loadItems));
  $("create").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("name");
    guarded(() => createItem(input.value).then(() => { input.value = ""; }));
  });

  const params = new URLSearchParams(location.search);
  if (params.has("code") || params.has("error")) {
    // Back from the issuer: exchange the code (PKCE verifier and state checked by the library).
    await manager.signinRedirectCallback();
    history.replaceState(null, "", location.pathname);
  }
  const user = await manager.getUser();
  if (!user) {
    show(false);
    $("status").textContent = "Signed out.";
    return;
  }
  show(true);
  $("who").textContent = user.profile.name || user.profile.nickname || user.profile.sub;
  $("sub").textContent = user.profile.sub;
  await loadItems();
}

start().catch((error) => fail(error.message));
