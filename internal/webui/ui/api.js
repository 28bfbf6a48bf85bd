// Kluctl webui: server access. Real API (fetch + websockets) or, in a static
// build, the data files under staticdata/ loaded through <script> tags.
(function () {
  'use strict';
  const KW = window.KW;

  // rootPath: the page's path without a trailing "/" or "index.html", so the
  // UI works under a path prefix (and from file:// in a static build).
  KW.rootPath = window.location.pathname.replace(/\/index\.html$/, '').replace(/\/+$/, '');

  // Static build: staticbuild.js defines isStaticBuild (the builder appends
  // "isStaticBuild = true").
  KW.isStatic = (typeof isStaticBuild !== 'undefined') && isStaticBuild === true; // eslint-disable-line no-undef

  class ApiError extends Error {
    constructor(status, message) {
      super(message || ('HTTP ' + status));
      this.status = status;
    }
  }
  KW.ApiError = ApiError;

  function qs(params) {
    if (!params) return '';
    const parts = [];
    for (const k of Object.keys(params)) {
      const v = params[k];
      if (v === undefined || v === null || v === '') continue;
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    }
    return parts.length ? '?' + parts.join('&') : '';
  }

  async function request(method, path, params, body) {
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(KW.rootPath + path + qs(params), opts);
    } catch (e) {
      throw new ApiError(0, 'network error: ' + e.message);
    }
    const text = await resp.text();
    if (!resp.ok) {
      if (resp.status === 401 && path.startsWith('/api/') && KW.onUnauthorized) KW.onUnauthorized();
      throw new ApiError(resp.status, text.trim() || resp.status + ' ' + resp.statusText);
    }
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return text;
    }
  }

  // ---------------------------------------------------------------- static data

  const scriptLoads = new Map();
  function loadScript(rel) {
    if (scriptLoads.has(rel)) return scriptLoads.get(rel);
    const p = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = KW.rootPath + '/' + rel;
      s.onload = () => resolve();
      s.onerror = () => reject(new ApiError(404, 'could not load ' + rel));
      document.head.appendChild(s);
    });
    scriptLoads.set(rel, p);
    p.catch(() => scriptLoads.delete(rel));
    return p;
  }

  // Globals defined by the staticdata scripts (top-level const, so they live
  // in the shared global lexical scope and are read by name).
  function staticGlobal(name) {
    try {
      switch (name) {
        /* eslint-disable no-undef */
        case 'staticSummaries': return typeof staticSummaries !== 'undefined' ? staticSummaries : null;
        case 'staticKluctlDeployments': return typeof staticKluctlDeployments !== 'undefined' ? staticKluctlDeployments : null;
        case 'staticShortNames': return typeof staticShortNames !== 'undefined' ? staticShortNames : null;
        case 'staticResults': return typeof staticResults !== 'undefined' ? staticResults : null;
        /* eslint-enable no-undef */
      }
    } catch (e) {
      return null;
    }
    return null;
  }

  // loadStaticData fills the store as if the events socket had sent it all.
  async function loadStaticData() {
    const results = await Promise.allSettled([
      loadScript('staticdata/summaries.js'),
      loadScript('staticdata/kluctldeployments.js'),
      loadScript('staticdata/shortnames.js'),
    ]);
    if (results[0].status === 'rejected') throw results[0].reason;
    const msgs = [];
    for (const kd of staticGlobal('staticKluctlDeployments') || []) {
      if (kd && kd.deployment) msgs.push({ type: 'update_kluctl_deployment', deployment: kd.deployment, clusterId: kd.clusterId });
    }
    for (const s of staticGlobal('staticSummaries') || []) {
      msgs.push({ type: 'update_command_result_summary', summary: s });
    }
    KW.store.setShortNames(staticGlobal('staticShortNames') || []);
    KW.store.apply(msgs);
  }

  async function staticResult(id) {
    const m = staticGlobal('staticResults');
    if (!m || !m.has(id)) {
      try {
        await loadScript('staticdata/result-' + encodeURIComponent(id) + '.js');
      } catch (e) {
        throw new ApiError(404, 'result ' + id + ' is not part of this static build');
      }
    }
    const r = staticGlobal('staticResults') && staticGlobal('staticResults').get(id);
    if (!r) throw new ApiError(404, 'result ' + id + ' is not part of this static build');
    if (r.error && !r.objects && !r.id) throw new ApiError(500, String(r.error));
    return r;
  }

  function sameRef(a, b) {
    return (a.group || '') === (b.group || '') && (a.version || '') === (b.version || '') &&
      a.kind === b.kind && a.name === b.name && (a.namespace || '') === (b.namespace || '');
  }

  // ---------------------------------------------------------------- API calls

  const ACTIONS = {
    deploy: '/api/deployNow',
    diff: '/api/diffNow',
    prune: '/api/pruneNow',
    validate: '/api/validateNow',
    reconcile: '/api/reconcileNow',
    suspend: '/api/setSuspended',
    resume: '/api/setSuspended',
    approve: '/api/setManualObjectsHash',
  };

  KW.api = {
    getAuthInfo: () => request('GET', '/auth/info'),
    getUser: () => request('GET', '/auth/user'),
    staticLogin: (username, password) => request('POST', '/auth/staticLogin', null, { username, password }),
    logoutUrl: () => KW.rootPath + '/auth/logout',
    oidcLoginUrl: () => KW.rootPath + '/auth/login',
    loadStaticData,

    getShortNames: () => request('GET', '/api/getShortNames'),

    getCommandResult: (id) => (KW.isStatic ? staticResult(id) : request('GET', '/api/getCommandResult', { resultId: id })),

    // getCommandResultObject(result, ref, objectType)
    getCommandResultObject: async (result, ref, objectType) => {
      if (KW.isStatic) {
        const full = await staticResult(result.id);
        const o = (full.objects || []).find((x) => sameRef(x.ref || {}, ref));
        if (!o || !o[objectType]) throw new ApiError(404, 'object not found');
        return o[objectType];
      }
      return request('GET', '/api/getCommandResultObject', {
        resultId: result.id, group: ref.group, version: ref.version, kind: ref.kind,
        name: ref.name, namespace: ref.namespace, objectType,
      });
    },

    getValidateResult: (id) => {
      if (KW.isStatic) return Promise.reject(new ApiError(404, 'validate results are not available in a static build'));
      return request('GET', '/api/getValidateResult', { resultId: id });
    },

    // action(name, kdState): one of the ACTIONS on a KluctlDeployment.
    action: (name, st) => {
      if (KW.isStatic) return Promise.reject(new ApiError(0, 'not implemented in a static build'));
      const path = ACTIONS[name];
      if (!path) return Promise.reject(new ApiError(0, 'unknown action ' + name));
      const body = { cluster: st.clusterId, name: st.name, namespace: st.namespace };
      if (name === 'suspend') body.suspend = true;
      if (name === 'resume') body.suspend = false;
      if (name === 'approve') body.objectsHash = st.lastObjectsHash;
      return request('POST', path, null, body);
    },
  };

  // ---------------------------------------------------------------- websockets

  function wsUrl(path, params) {
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + window.location.host + KW.rootPath + path + qs(params);
  }
  KW.wsUrl = wsUrl;

  // KW.events: the /api/events socket, reconnecting 5 s after each close.
  const events = { ws: null, timer: null, running: false };
  KW.events = events;

  events.start = () => {
    if (KW.isStatic || events.running) return;
    events.running = true;
    connect();
  };

  events.stop = () => {
    events.running = false;
    clearTimeout(events.timer);
    if (events.ws) {
      const ws = events.ws;
      events.ws = null;
      try { ws.close(); } catch (e) { /* ignore */ }
    }
    KW.store.setLive(false);
  };

  function connect() {
    if (!events.running) return;
    let ws;
    let opened = false;
    try {
      ws = new WebSocket(wsUrl('/api/events'));
    } catch (e) {
      schedule(false);
      return;
    }
    events.ws = ws;
    ws.onopen = () => {
      opened = true;
      KW.store.beginSnapshot();
      KW.store.setLive(true);
    };
    ws.onmessage = (ev) => {
      let msgs;
      try {
        msgs = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      KW.store.apply(msgs);
    };
    ws.onclose = (ev) => {
      if (events.ws !== ws) return;
      events.ws = null;
      KW.store.setLive(false);
      // 4001: the server closed the stream because the session expired.
      schedule(opened && ev.code !== 4001);
    };
  }

  // After a failed handshake the session may have expired (the server answers
  // 401 before upgrading), so check the user before trying again.
  function schedule(wasOpen) {
    if (!events.running) return;
    clearTimeout(events.timer);
    if (!wasOpen && !KW.isStatic) {
      KW.api.getUser().catch((e) => {
        if (e.status === 401 && KW.onUnauthorized) KW.onUnauthorized();
      });
    }
    events.timer = setTimeout(connect, 5000);
  }

  // KW.openLogs(params, onLine, onState): the /api/logs socket. onState gets
  // "connecting" | "open" | "closed" | "failed". Returns a close function.
  KW.openLogs = (params, onLine, onState) => {
    if (KW.isStatic) {
      onState('failed');
      return () => {};
    }
    let ws;
    let closedByUs = false;
    let opened = false;
    try {
      ws = new WebSocket(wsUrl('/api/logs', params));
    } catch (e) {
      onState('failed');
      return () => {};
    }
    onState('connecting');
    ws.onopen = () => {
      opened = true;
      onState('open');
    };
    ws.onmessage = (ev) => {
      let rec;
      try {
        rec = JSON.parse(ev.data);
      } catch (e) {
        rec = { msg: String(ev.data) };
      }
      onLine(rec);
    };
    ws.onerror = () => {
      if (!closedByUs) onState('failed');
    };
    ws.onclose = (ev) => {
      if (closedByUs) return;
      onState(opened && ev.wasClean ? 'closed' : 'failed');
    };
    return () => {
      closedByUs = true;
      try { ws.close(); } catch (e) { /* ignore */ }
    };
  };
})();
