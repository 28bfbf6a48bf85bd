// Kluctl webui: header, login view, logs view, toast, hash router, render
// loop and start-up. Loaded last.
(function () {
  'use strict';
  const KW = window.KW;
  const h = KW.h;
  const store = KW.store;

  const app = {
    booted: false,
    bootError: null,
    sessionExpired: false,
    loginError: new URLSearchParams(window.location.search).get('login_error') || '',
    loginBusy: false,
  };

  // ---------------------------------------------------------------- render loop

  let scheduled = false;
  KW.scheduleRender = () => {
    if (scheduled) return;
    scheduled = true;
    const run = () => {
      if (!scheduled) return;
      scheduled = false;
      renderNow();
    };
    // requestAnimationFrame does not run in background tabs; the timeout does.
    window.requestAnimationFrame(run);
    setTimeout(run, 100);
  };

  // ---------------------------------------------------------------- toast

  let toastTimer = null;
  KW.toast = (msg, kind) => {
    let el = document.getElementById('toast');
    if (!el) {
      el = document.createElement('div');
      el.id = 'toast';
      el.setAttribute('role', 'alert');
      el.title = 'click to dismiss';
      el.addEventListener('click', () => el.remove());
      document.body.appendChild(el);
    }
    el.className = 'toast toast-' + (kind || 'error');
    el.textContent = msg;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.remove(), kind === 'ok' ? 4000 : 10000);
  };

  // ---------------------------------------------------------------- header

  function header() {
    const u = store.user;
    const info = store.authInfo || {};
    let live = null;
    if (KW.isStatic) live = h('span', { id: 'live-status', class: 'live-static', title: 'static build: no live updates' }, 'static build');
    // Before a login there is no event stream to speak of.
    else if (u) live = h('span', { id: 'live-status', class: store.live ? 'live-on' : 'live-off' }, store.live ? 'live' : 'reconnecting');
    return [
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-logo', 'aria-hidden': 'true' }, '◆'), 'Kluctl'),
      h('span', { class: 'spacer' }),
      live,
      !KW.isStatic && u ? h('span', { id: 'user-name', class: u.isAdmin ? 'role-admin' : 'role-viewer' }, u.username + (u.isAdmin ? ' (admin)' : ' (viewer)')) : null,
      !KW.isStatic && info.authEnabled && u ? h('a', { id: 'logout', href: KW.api.logoutUrl() }, 'log out') : null,
    ];
  }

  // ---------------------------------------------------------------- login

  async function submitLogin(ev) {
    ev.preventDefault();
    if (app.loginBusy) return;
    const username = document.getElementById('login-username').value;
    const password = document.getElementById('login-password').value;
    app.loginBusy = true;
    app.loginError = '';
    KW.scheduleRender();
    try {
      await KW.api.staticLogin(username, password);
      app.loginBusy = false;
      app.sessionExpired = false;
      document.getElementById('login-password').value = '';
      await checkUser();
    } catch (e) {
      app.loginBusy = false;
      app.loginError = e.status === 401 || e.status === 400 ? 'wrong username or password' : 'login failed: ' + e.message;
      KW.scheduleRender();
    }
  }

  function loginView() {
    const info = store.authInfo || {};
    const parts = [h('h2', null, 'Log in to Kluctl')];
    if (app.sessionExpired) parts.push(h('p', { class: 'login-note' }, 'Your session has expired. Please log in again.'));
    if (info.staticLoginEnabled) {
      parts.push(h('label', { for: 'login-username' }, 'Username'),
        h('input', { id: 'login-username', 'data-key': 'u', type: 'text', name: 'username', autocomplete: 'username', placeholder: 'admin or viewer', required: true }),
        h('label', { for: 'login-password' }, 'Password'),
        h('input', { id: 'login-password', 'data-key': 'p', type: 'password', name: 'password', autocomplete: 'current-password', required: true }),
        h('button', { id: 'login-submit', 'data-key': 's', type: 'submit', class: 'primary', disabled: app.loginBusy }, app.loginBusy ? 'Logging in…' : 'Log in'));
    }
    if (info.oidcEnabled) {
      if (info.staticLoginEnabled) parts.push(h('div', { class: 'login-or' }, 'or'));
      parts.push(h('button', {
        id: 'login-oidc', 'data-key': 'o', type: 'button',
        on: { click: () => { window.location.href = KW.api.oidcLoginUrl(); } },
      }, 'Log in with ' + (info.oidcName || 'OpenID Connect')));
    }
    if (!info.staticLoginEnabled && !info.oidcEnabled) parts.push(h('p', { class: 'login-note' }, 'No login method is configured on the server.'));
    if (app.loginError) parts.push(h('div', { id: 'login-error', 'data-key': 'e', role: 'alert' }, app.loginError));
    return h('div', { id: 'login-view', 'data-key': 'view-login' },
      h('form', { id: 'login-form', class: 'login-form', on: { submit: submitLogin } }, parts));
  }

  // ---------------------------------------------------------------- logs

  const MAX_LOG_LINES = 5000;
  let logs = null; // {key, params, lines, state, close}

  function closeLogs() {
    if (logs) {
      logs.close();
      logs = null;
    }
  }

  function fmtTs(ts) {
    if (typeof ts === 'number') return new Date(ts * (ts < 1e12 ? 1000 : 1)).toISOString();
    return ts ? String(ts) : '';
  }

  function fmtLog(rec) {
    if (!rec || typeof rec !== 'object') return String(rec);
    const rest = [];
    for (const k of Object.keys(rec)) {
      if (k === 'ts' || k === 'level' || k === 'msg') continue;
      const v = rec[k];
      rest.push(k + '=' + (typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)));
    }
    return [fmtTs(rec.ts), (rec.level || '').toUpperCase(), rec.msg || '', rest.join(' ')].filter(Boolean).join('  ');
  }

  function ensureLogs(params) {
    const key = JSON.stringify(params);
    if (logs && logs.key === key) return;
    closeLogs();
    const l = { key, params, lines: [], state: 'connecting', close: () => {} };
    logs = l;
    l.close = KW.openLogs(
      { cluster: params.cluster, name: params.name, namespace: params.namespace, reconcileId: params.reconcileId },
      (rec) => {
        l.lines.push(fmtLog(rec));
        if (l.lines.length > MAX_LOG_LINES) l.lines.splice(0, l.lines.length - MAX_LOG_LINES);
        KW.scheduleRender();
      },
      (state) => {
        l.state = state;
        KW.scheduleRender();
      });
  }

  function logsView(params) {
    ensureLogs(params);
    const failed = logs.state === 'failed';
    let text = logs.lines.join('\n');
    if (failed) text = logs.lines.length ? text + '\n-- logs are not available anymore --' : 'logs are not available';
    else if (!logs.lines.length) text = logs.state === 'open' ? 'waiting for log lines…' : 'connecting…';
    const stateText = { connecting: 'connecting', open: 'streaming', closed: 'stream closed', failed: 'not available' }[logs.state];
    return h('div', { id: 'logs-view', 'data-key': 'view-logs:' + logs.key },
      h('a', { class: 'back-link', href: '#/' }, '← overview'),
      h('h2', { class: 'view-title' }, 'Controller logs: ' + params.namespace + '/' + params.name),
      h('div', { class: 'logs-meta' },
        h('span', null, 'cluster ' + (params.cluster || '-')),
        params.reconcileId ? h('span', null, 'reconcile id ' + params.reconcileId) : null,
        h('span', { id: 'logs-status', class: 'logs-' + logs.state }, stateText),
        logs.state === 'closed' || failed
          ? h('button', { type: 'button', class: 'logs-retry', on: { click: () => { closeLogs(); KW.scheduleRender(); } } }, 'reconnect')
          : null),
      h('pre', { id: 'log-lines', class: failed && !logs.lines.length ? 'logs-unavailable' : null }, text));
  }

  // ---------------------------------------------------------------- router

  function parseRoute() {
    const raw = window.location.hash.replace(/^#\/?/, '');
    const parts = raw ? raw.split('/').map((p) => {
      try {
        return decodeURIComponent(p);
      } catch (e) {
        return p;
      }
    }) : [];
    if (!parts.length || (parts.length === 1 && parts[0] === '')) return { view: 'overview' };
    if (parts[0] === 'result' && parts[1]) return { view: 'result', id: parts[1] };
    if (parts[0] === 'validate' && parts[1]) return { view: 'validate', id: parts[1] };
    if (parts[0] === 'logs' && parts.length >= 4) {
      return { view: 'logs', params: { cluster: parts[1], namespace: parts[2], name: parts[3], reconcileId: parts[4] || '' } };
    }
    return { view: 'notfound' };
  }

  function mainView() {
    if (!app.booted) return h('div', { class: 'loading', 'data-key': 'view-boot' }, 'Loading…');
    if (app.bootError) {
      return h('div', { class: 'load-error', 'data-key': 'view-error' }, app.bootError + ' ',
        h('button', { type: 'button', on: { click: () => { app.bootError = null; app.booted = false; start(); } } }, 'retry'));
    }
    if (store.needLogin) return loginView();
    const r = parseRoute();
    if (r.view !== 'logs') closeLogs();
    switch (r.view) {
      case 'overview':
        document.title = 'Kluctl';
        return KW.views.overview();
      case 'result':
        document.title = 'Kluctl – result ' + KW.shortId(r.id, 8);
        return KW.views.result(r.id);
      case 'validate':
        document.title = 'Kluctl – validate ' + KW.shortId(r.id, 8);
        if (KW.isStatic) return h('div', { id: 'validate-view', 'data-key': 'view-validate-static' }, h('a', { class: 'back-link', href: '#/' }, '← overview'), h('div', { class: 'empty big' }, 'Validate results are not available in a static build.'));
        return KW.views.validate(r.id);
      case 'logs':
        document.title = 'Kluctl – logs ' + r.params.namespace + '/' + r.params.name;
        return logsView(r.params);
      default:
        return h('div', { class: 'empty big', 'data-key': 'view-notfound' }, 'Page not found. ', h('a', { href: '#/' }, 'Go to the overview'));
    }
  }

  function renderNow() {
    const hdr = document.getElementById('header');
    const main = document.getElementById('app');
    if (hdr) KW.render(hdr, header());
    if (main) KW.render(main, mainView());
  }

  // ---------------------------------------------------------------- start-up

  function startSession() {
    KW.events.start();
    KW.api.getShortNames().then((l) => {
      store.setShortNames(l);
      KW.scheduleRender();
    }, () => {});
  }

  async function checkUser() {
    try {
      store.user = await KW.api.getUser();
      store.needLogin = false;
      KW.resetResultCache();
      startSession();
    } catch (e) {
      if (e.status === 401) store.needLogin = true;
      else app.bootError = 'Could not reach the server: ' + e.message;
    }
    app.booted = true;
    KW.scheduleRender();
  }

  // Any /api call answering 401: the session is gone; show the login page and
  // keep the hash route, so that the login returns to it.
  KW.onUnauthorized = () => {
    if (KW.isStatic || store.needLogin) return;
    app.sessionExpired = !!store.user;
    store.user = null;
    store.needLogin = true;
    KW.events.stop();
    closeLogs();
    KW.resetResultCache();
    KW.scheduleRender();
  };

  async function start() {
    KW.scheduleRender();
    if (KW.isStatic) {
      store.authInfo = { authEnabled: false, staticLoginEnabled: false, oidcEnabled: false };
      store.user = { username: 'no-user', isAdmin: true };
      try {
        await KW.api.loadStaticData();
      } catch (e) {
        app.bootError = 'Could not load the static data: ' + e.message;
      }
      app.booted = true;
      KW.scheduleRender();
      return;
    }
    try {
      store.authInfo = await KW.api.getAuthInfo();
    } catch (e) {
      app.bootError = 'Could not reach the server: ' + e.message;
      app.booted = true;
      KW.scheduleRender();
      return;
    }
    await checkUser();
  }

  store.subscribe(KW.scheduleRender);
  window.addEventListener('hashchange', () => {
    window.scrollTo(0, 0);
    KW.scheduleRender();
  });
  setInterval(KW.scheduleRender, 30000); // relative times
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
