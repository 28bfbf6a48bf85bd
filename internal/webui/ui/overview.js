// Kluctl webui: the overview (#/): projects, their targets, KluctlDeployments
// with state badges and actions, and the latest results of each target.
(function () {
  'use strict';
  const KW = window.KW;
  const h = KW.h;

  const MAX_RESULTS = 5;

  // Pending actions, so their buttons show as busy: "cluster/ns/name/action".
  const pending = new Set();

  function canAct() {
    return !KW.isStatic && !!(KW.store.user && KW.store.user.isAdmin);
  }

  const CONFIRM = {
    deploy: (st) => 'Deploy ' + st.namespace + '/' + st.name + ' now?',
    prune: (st) => 'Prune orphan objects of ' + st.namespace + '/' + st.name + ' now?',
    approve: (st) => 'Approve the deployment of objects hash ' + KW.shortId(st.lastObjectsHash, 12) + ' for ' + st.namespace + '/' + st.name + '?',
  };

  const DONE = {
    deploy: 'deploy requested',
    diff: 'diff requested',
    prune: 'prune requested',
    validate: 'validate requested',
    reconcile: 'reconcile requested',
    suspend: 'suspended',
    resume: 'resumed',
    approve: 'approved',
  };

  function runAction(action, clusterId, namespace, name) {
    const entry = KW.store.findKd(clusterId, namespace, name);
    if (!entry) {
      KW.toast('KluctlDeployment ' + namespace + '/' + name + ' is gone', 'error');
      return;
    }
    const st = KW.kdState(entry);
    if (CONFIRM[action] && !window.confirm(CONFIRM[action](st))) return;
    const key = clusterId + '/' + namespace + '/' + name + '/' + action;
    if (pending.has(key)) return;
    pending.add(key);
    KW.scheduleRender();
    KW.api.action(action, st).then(
      () => KW.toast(DONE[action] + ': ' + namespace + '/' + name, 'ok'),
      (e) => {
        if (e.status === 401) return;
        KW.toast(action + ' failed: ' + e.message, 'error');
      },
    ).finally(() => {
      pending.delete(key);
      KW.scheduleRender();
    });
  }

  // ---------------------------------------------------------------- pieces

  function badges(st) {
    const out = [];
    const b = (cls, text, title) => out.push(h('span', { class: 'badge ' + cls, title: title || null }, text));
    if (st.ready === 'True') b('badge-ready', 'ready', st.readyMessage);
    else if (st.ready === 'False') b('badge-failed', 'failed', st.readyMessage);
    if (st.reconciling) b('badge-reconciling', 'reconciling', st.reconcilingMessage);
    if (st.suspended) b('badge-suspended', 'suspended');
    if (st.dryRun) b('badge-dry-run', 'dry run');
    if (st.drift) b('badge-drift', 'drift', st.driftMessage);
    if (st.waitingApproval) b('badge-approval', 'waiting for approval', 'objects hash ' + st.lastObjectsHash);
    if (!out.length) b('badge-unknown', 'unknown');
    return out;
  }

  function actionButtons(st) {
    if (!canAct()) return null;
    const list = ['deploy', 'diff', 'prune', 'validate', 'reconcile', st.suspended ? 'resume' : 'suspend'];
    if (st.waitingApproval) list.push('approve');
    const base = st.clusterId + '/' + st.namespace + '/' + st.name + '/';
    return h('div', { class: 'kd-actions' }, list.map((a) => h('button', {
      type: 'button',
      class: ['action', 'action-' + a, a === 'approve' ? 'primary' : ''],
      'data-action': a,
      'data-key': a,
      disabled: pending.has(base + a),
      on: { click: () => runAction(a, st.clusterId, st.namespace, st.name) },
    }, a)));
  }

  function kdRow(kd) {
    const st = kd.state;
    const id = st.namespace + '/' + st.name;
    const message = st.prepareError || st.readyMessage;
    return h('div', { class: 'kd-row', 'data-kd': id, 'data-key': 'kd:' + st.clusterId + '/' + id },
      h('div', { class: 'kd-head' },
        h('span', { class: 'kd-name', title: 'KluctlDeployment' }, id),
        h('span', { class: 'badges' }, badges(st)),
        KW.isStatic ? null : h('a', { class: 'kd-logs-link', href: KW.logsHref(st.clusterId, st, '') }, 'logs')),
      message ? h('div', { class: 'kd-message', title: st.readyReason || null }, message) : null,
      st.drift && st.driftMessage ? h('div', { class: 'kd-drift-message' }, st.driftMessage) : null,
      actionButtons(st));
  }

  const COUNTS = [
    ['new', 'newObjects', 'new objects'],
    ['changed', 'changedObjects', 'changed objects'],
    ['orphan', 'orphanObjects', 'orphan objects'],
    ['deleted', 'deletedObjects', 'deleted objects'],
    ['errors', 'errors', 'errors'],
    ['warnings', 'warnings', 'warnings'],
  ];

  function countOf(v) {
    if (Array.isArray(v)) return v.length;
    return typeof v === 'number' ? v : 0;
  }

  function counts(s) {
    return h('span', { class: 'counts' }, COUNTS.map(([name, field, title]) => {
      const n = countOf(s[field]);
      return h('span', { class: ['count', 'count-' + name, n ? '' : 'zero'], title: n + ' ' + title }, String(n));
    }));
  }

  function resultLink(s) {
    const ci = s.commandInfo || {};
    const git = s.gitInfo || {};
    const initiator = ci.initiator || '';
    return h('li', { 'data-key': s.id },
      h('a', {
        class: ['result-link', KW.store.isFresh(s.id) ? 'result-new' : '', (countOf(s.errors) ? 'has-errors' : '')],
        'data-result-id': s.id,
        'data-command': ci.command || '',
        href: '#/result/' + encodeURIComponent(s.id),
      },
      h('span', { class: 'result-command' }, ci.command || 'unknown'),
      ci.dryRun ? h('span', { class: 'result-dry-run', title: 'dry run' }, 'dry') : null,
      h('span', { class: 'result-initiator', title: 'initiator' }, initiator === 'KluctlDeployment' ? 'controller' : initiator === 'CommandLine' ? 'cli' : initiator),
      KW.timeEl(ci.endTime || ci.startTime, 'result-time'),
      counts(s),
      git.commit ? h('span', { class: 'git-commit', title: git.commit + (git.dirty ? ' (dirty)' : '') }, KW.shortId(git.commit, 7) + (git.dirty ? '*' : '')) : null));
  }

  function validateLink(v) {
    if (!v || KW.isStatic) return null;
    return h('div', { class: 'validate' },
      h('a', {
        class: ['validate-link', v.ready ? 'validate-ready' : 'validate-not-ready'],
        'data-result-id': v.id,
        href: '#/validate/' + encodeURIComponent(v.id),
      },
      h('span', { class: 'validate-label' }, 'validate:'), ' ',
      h('span', { class: 'validate-state' }, v.ready ? 'ready' : 'not ready'),
      v.errors ? h('span', { class: 'count count-errors' }, String(v.errors)) : null,
      v.warnings ? h('span', { class: 'count count-warnings' }, String(v.warnings)) : null,
      ' ', KW.timeEl(v.endTime || v.startTime, 'validate-time')));
  }

  function clusterLabel(id) {
    return h('span', { class: 'target-cluster', title: 'cluster id ' + id }, 'cluster ' + KW.shortId(id, 8));
  }

  function targetCard(t) {
    const kdIds = t.kds.map((k) => k.state.namespace + '/' + k.state.name);
    const title = t.kdName !== null ? t.kdName : (t.targetName || '(no target name)');
    return h('div', {
      class: ['target-card', t.kdName !== null ? 'target-kd-only' : ''],
      'data-target': t.kdName !== null ? '' : t.targetName,
      'data-cluster': t.clusterId,
      'data-discriminator': t.discriminator || null,
      'data-kd': kdIds.length ? kdIds.join(' ') : null,
      'data-key': t.key,
    },
    h('div', { class: 'target-head' },
      h('h3', { class: 'target-name' }, title),
      t.clusterId ? clusterLabel(t.clusterId) : null,
      t.discriminator ? h('span', { class: 'target-discriminator', title: 'discriminator' }, t.discriminator) : null),
    t.kds.length ? h('div', { class: 'kd-list' }, t.kds.map(kdRow)) : null,
    t.results.length
      ? h('ul', { class: 'result-list' }, t.results.slice(0, MAX_RESULTS).map(resultLink))
      : h('div', { class: 'empty' }, 'no results yet'),
    validateLink(t.validate));
  }

  function projectCard(p) {
    let heading;
    if (p.pending) {
      heading = [h('span', { class: 'project-repo' }, 'not reconciled yet')];
    } else {
      heading = [h('span', { class: 'project-repo' }, p.repoKey || 'local project')];
      if (p.subDir) heading.push(h('span', { class: 'project-subdir' }, p.subDir));
    }
    return h('section', {
      class: 'project-card',
      'data-project': p.pending ? '' : p.repoKey + '|' + p.subDir,
      'data-key': 'p:' + p.key + (p.pending ? ':pending' : ''),
    },
    h('h2', { class: 'project-title' }, heading),
    h('div', { class: 'target-grid' }, p.targets.map(targetCard)));
  }

  KW.views = KW.views || {};
  KW.views.overview = () => {
    const projects = KW.store.buildProjects();
    let body;
    if (!projects.length) {
      let text = 'No results and no KluctlDeployments yet.';
      if (!KW.store.loaded) text = KW.store.live ? 'Loading…' : 'Waiting for the connection to the server…';
      body = h('div', { class: 'empty big' }, text);
    } else {
      body = projects.map(projectCard);
    }
    return h('div', { id: 'overview', 'data-key': 'view-overview' }, body);
  };
})();
