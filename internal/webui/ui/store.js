// Kluctl webui: client-side store of summaries, validate summaries and
// KluctlDeployments, fed by /api/events messages (or the static build data),
// and the grouping of all of it into projects and targets.
(function () {
  'use strict';
  const KW = window.KW;

  const FRESH_MS = 3000;

  const store = {
    summaries: new Map(), // id -> CommandResultSummary
    validates: new Map(), // id -> ValidateResultSummary
    kds: new Map(), // uid -> {clusterId, deployment}
    fresh: new Map(), // summary id -> time until which it is highlighted
    shortNames: null, // "group/kind" -> short name
    authInfo: null,
    user: null,
    needLogin: false,
    live: false,
    loaded: false, // true once the first snapshot arrived (or timed out)
    snapshotPending: false,
    // id -> arrival number of a result: results of the same second are
    // ordered by it, as the server sends them oldest first.
    arrival: new Map(),
  };
  KW.store = store;
  let arrivals = 0;
  const arrived = (id) => {
    if (!store.arrival.has(id)) store.arrival.set(id, ++arrivals);
  };

  const listeners = [];
  store.subscribe = (fn) => listeners.push(fn);
  store.changed = () => listeners.forEach((fn) => fn());

  store.setLive = (live) => {
    if (store.live !== live) {
      store.live = live;
      store.changed();
    }
  };

  let snapshotTimer = null;
  // beginSnapshot is called when the events socket (re)connects: the server
  // first sends its full state, which then replaces what we had.
  store.beginSnapshot = () => {
    store.snapshotPending = true;
    clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => {
      if (store.snapshotPending) {
        // Nothing arrived: the server has no entries at all.
        store.snapshotPending = false;
        store.summaries.clear();
        store.validates.clear();
        store.kds.clear();
        store.arrival.clear();
        store.loaded = true;
        store.changed();
      }
    }, 2500);
  };

  function kdUid(deployment, clusterId) {
    const md = (deployment && deployment.metadata) || {};
    return md.uid || clusterId + '/' + md.namespace + '/' + md.name;
  }

  // apply(messages): one frame of /api/events messages.
  store.apply = (msgs) => {
    if (!Array.isArray(msgs)) msgs = [msgs];
    const highlight = store.loaded && !store.snapshotPending;
    const known = new Set(store.summaries.keys());
    if (store.snapshotPending) {
      store.snapshotPending = false;
      clearTimeout(snapshotTimer);
      store.summaries.clear();
      store.validates.clear();
      store.kds.clear();
      store.arrival.clear();
    }
    const now = Date.now();
    for (const m of msgs) {
      if (!m || typeof m !== 'object') continue;
      switch (m.type) {
        case 'update_command_result_summary':
          if (m.summary && m.summary.id) {
            if (highlight && !known.has(m.summary.id)) store.fresh.set(m.summary.id, now + FRESH_MS);
            arrived(m.summary.id);
            store.summaries.set(m.summary.id, m.summary);
          }
          break;
        case 'delete_command_result_summary':
          store.summaries.delete(m.id);
          break;
        case 'update_validate_result_summary':
          if (m.summary && m.summary.id) {
            arrived(m.summary.id);
            store.validates.set(m.summary.id, m.summary);
          }
          break;
        case 'delete_validate_result_summary':
          store.validates.delete(m.id);
          break;
        case 'update_kluctl_deployment':
          if (m.deployment) store.kds.set(kdUid(m.deployment, m.clusterId), { clusterId: m.clusterId || '', deployment: m.deployment });
          break;
        case 'delete_kluctl_deployment':
          store.kds.delete(m.id);
          break;
        default:
          break;
      }
    }
    store.loaded = true;
    if (store.fresh.size) {
      setTimeout(() => {
        const t = Date.now();
        for (const [id, until] of store.fresh) if (until <= t) store.fresh.delete(id);
        store.changed();
      }, FRESH_MS + 50);
    }
    store.changed();
  };

  store.isFresh = (id) => (store.fresh.get(id) || 0) > Date.now();

  store.setShortNames = (list) => {
    const m = new Map();
    for (const s of list || []) if (s && s.kind && s.shortName) m.set((s.group || '') + '/' + s.kind, s.shortName);
    store.shortNames = m;
  };

  // ---------------------------------------------------------------- keys

  function projectKeyStr(pk) {
    pk = pk || {};
    return (pk.repoKey || '') + '|' + (pk.subDir || '');
  }

  function targetKeyStr(tk) {
    tk = tk || {};
    return (tk.targetName || '') + '|' + (tk.clusterId || '') + '|' + (tk.discriminator || '');
  }

  function summaryTime(s) {
    const ci = s.commandInfo || s.command || {};
    return KW.parseTime(ci.endTime) || KW.parseTime(ci.startTime) || 0;
  }

  function resultTimes(s) {
    const ci = s.commandInfo || s.command || {};
    return { start: KW.parseTime(ci.startTime) || 0, end: KW.parseTime(ci.endTime) || 0 };
  }

  function validateTimes(v) {
    return { start: KW.parseTime(v.startTime) || 0, end: KW.parseTime(v.endTime) || 0 };
  }


  // ---------------------------------------------------------------- KD state

  function condition(kd, type) {
    const conds = (kd.status && kd.status.conditions) || [];
    return conds.find((c) => c && c.type === type) || null;
  }

  // kdState(kd) -> the facts the overview shows for one KluctlDeployment.
  function kdState(entry) {
    const kd = entry.deployment;
    const spec = kd.spec || {};
    const status = kd.status || {};
    const ready = condition(kd, 'Ready');
    const reconciling = condition(kd, 'Reconciling');
    const driftMsg = status.lastDriftDetectionResultMessage || '';
    let drift = false;
    if (driftMsg) {
      drift = driftMsg.trim().toLowerCase() !== 'no drift';
    } else if (status.lastDriftDetectionResult && typeof status.lastDriftDetectionResult === 'object') {
      const objs = status.lastDriftDetectionResult.objects || status.lastDriftDetectionResult.drift;
      drift = Array.isArray(objs) && objs.length > 0;
    }
    const lastHash = status.lastObjectsHash || '';
    const waitingApproval = !!spec.manual && !!lastHash && (spec.manualObjectsHash || '') !== lastHash;
    return {
      name: (kd.metadata || {}).name || '',
      namespace: (kd.metadata || {}).namespace || '',
      clusterId: entry.clusterId || (status.targetKey && status.targetKey.clusterId) || '',
      ready: ready ? ready.status : null,
      readyReason: ready ? ready.reason || '' : '',
      readyMessage: ready ? ready.message || '' : '',
      reconciling: !!reconciling && reconciling.status === 'True',
      reconcilingMessage: reconciling ? reconciling.message || '' : '',
      suspended: !!spec.suspend,
      dryRun: !!spec.dryRun,
      drift,
      driftMessage: driftMsg,
      waitingApproval,
      lastObjectsHash: lastHash,
      manual: !!spec.manual,
      prepareError: status.lastPrepareError || '',
    };
  }

  // ---------------------------------------------------------------- grouping

  // buildProjects() -> sorted [{key, repoKey, subDir, pending, targets: [...]}]
  // where a target is {key, targetName, clusterId, discriminator, kdName,
  // kds: [{entry, state}], results: [summary newest first], validate}.
  store.buildProjects = () => {
    const projects = new Map();
    function project(pk, pending) {
      const key = pending ? '' : projectKeyStr(pk);
      let p = projects.get(key);
      if (!p) {
        p = { key, repoKey: (pk && pk.repoKey) || '', subDir: (pk && pk.subDir) || '', pending: !!pending, targets: new Map() };
        projects.set(key, p);
      }
      return p;
    }
    function target(p, key, tk) {
      let t = p.targets.get(key);
      if (!t) {
        t = { key, targetName: tk.targetName || '', clusterId: tk.clusterId || '', discriminator: tk.discriminator || '', kdName: null, kds: [], results: [], validates: [] };
        p.targets.set(key, t);
      }
      return t;
    }

    for (const s of store.summaries.values()) {
      const t = target(project(s.projectKey), 't:' + targetKeyStr(s.targetKey), s.targetKey || {});
      t.results.push(s);
    }
    for (const v of store.validates.values()) {
      const t = target(project(v.projectKey), 't:' + targetKeyStr(v.targetKey), v.targetKey || {});
      t.validates.push(v);
    }
    for (const entry of store.kds.values()) {
      const kd = entry.deployment || {};
      const status = kd.status || {};
      const st = kdState(entry);
      const p = status.projectKey ? project(status.projectKey) : project(null, true);
      let t;
      if (status.targetKey) {
        t = target(p, 't:' + targetKeyStr(status.targetKey), status.targetKey);
      } else {
        t = target(p, 'kd:' + st.clusterId + '/' + st.namespace + '/' + st.name, { clusterId: st.clusterId });
        t.kdName = st.name;
      }
      t.kds.push({ entry, state: st });
    }

    const out = [];
    for (const p of projects.values()) {
      const targets = Array.from(p.targets.values());
      for (const t of targets) {
        const byArrival = (a, b) => (store.arrival.get(b.id) || 0) - (store.arrival.get(a.id) || 0);
        // Newest first, as the result store orders them: start, end, then
        // the order they were stored in.
        const byTime = (ta, tb) => tb.start - ta.start || tb.end - ta.end;
        t.results.sort((a, b) => byTime(resultTimes(a), resultTimes(b)) || byArrival(a, b));
        t.validates.sort((a, b) => byTime(validateTimes(a), validateTimes(b)) || byArrival(a, b));
        t.validate = t.validates[0] || null;
        t.kds.sort((a, b) => (a.state.namespace + '/' + a.state.name).localeCompare(b.state.namespace + '/' + b.state.name));
        t.sortName = t.kdName || t.targetName;
      }
      targets.sort((a, b) => a.sortName.localeCompare(b.sortName) || a.clusterId.localeCompare(b.clusterId) || a.discriminator.localeCompare(b.discriminator));
      out.push({ key: p.key, repoKey: p.repoKey, subDir: p.subDir, pending: p.pending, targets });
    }
    out.sort((a, b) => (a.pending - b.pending) || a.repoKey.localeCompare(b.repoKey) || a.subDir.localeCompare(b.subDir));
    return out;
  };

  store.findKd = (clusterId, namespace, name) => {
    for (const entry of store.kds.values()) {
      const md = (entry.deployment && entry.deployment.metadata) || {};
      if (md.namespace === namespace && md.name === name && (!clusterId || entry.clusterId === clusterId)) return entry;
    }
    return null;
  };

  Object.assign(KW, { kdState, projectKeyStr, targetKeyStr, summaryTime });
})();
