// Kluctl webui: the command result view (#/result/<id>) and the validate
// result view (#/validate/<id>).
(function () {
  'use strict';
  const KW = window.KW;
  const h = KW.h;
  KW.views = KW.views || {};

  // Loaded results: kind:id -> {status: "loading"|"ok"|"error", data, error}.
  const cache = new Map();
  // Shown manifests: resultId|refKey|objectType -> {status, data, error}.
  const manifests = new Map();

  KW.resetResultCache = () => {
    cache.clear();
    manifests.clear();
  };

  function load(kind, id, fetcher) {
    const key = kind + ':' + id;
    let e = cache.get(key);
    if (e) return e;
    e = { status: 'loading' };
    cache.set(key, e);
    fetcher(id).then(
      (data) => {
        e.status = 'ok';
        e.data = data || {};
      },
      (err) => {
        e.status = 'error';
        e.error = err; // after a 401, the login resets the cache
      },
    ).finally(KW.scheduleRender);
    return e;
  }

  function errorText(err) {
    if (!err) return 'unknown error';
    if (err.status === 404) return 'not found: ' + err.message;
    if (err.status === 403) return 'not allowed for viewers';
    return err.message;
  }

  function loadingOrError(id, e, what) {
    if (e.status === 'loading') return h('div', { class: 'loading' }, 'Loading ' + what + '…');
    return h('div', { class: 'load-error' }, 'Could not load ' + what + ' ' + id + ': ' + errorText(e.error));
  }

  function backLink() {
    return h('a', { class: 'back-link', href: '#/' }, '← overview');
  }

  // ---------------------------------------------------------------- shared parts

  function msgList(cls, itemCls, title, list) {
    list = list || [];
    return h('section', { class: ['msg-section', cls] },
      h('h3', null, title + ' (' + list.length + ')'),
      list.length
        ? h('ul', null, list.map((m) => h('li', { class: itemCls },
          m.ref && m.ref.kind ? [KW.refEl(m.ref), ': '] : null,
          h('span', { class: 'msg-text' }, m.message || ''))))
        : h('div', { class: 'empty' }, 'none'));
  }

  function changesEl(changes) {
    return h('div', { class: 'changes' }, (changes || []).map((c) => h('div', { class: 'change' },
      h('div', { class: 'change-head' },
        h('span', { class: 'change-type' }, c.type || 'update'), ' ',
        h('code', { class: 'change-path' }, c.jsonPath || '')),
      KW.diffPre(c))));
  }

  function refSection(id, title, objs, itemCls) {
    return h('section', { id, class: 'obj-section' },
      h('h3', null, title + ' (' + objs.length + ')'),
      objs.length
        ? h('ul', { class: 'obj-list' }, objs.map((o) => h('li', { class: itemCls, 'data-ref': KW.refKey(o.ref), 'data-key': KW.refKey(o.ref) + '|' + KW.refApiVersion(o.ref || {}) }, KW.refEl(o.ref))))
        : h('div', { class: 'empty' }, 'none'));
  }

  function kv(rows) {
    return h('table', { class: 'summary-table' }, h('tbody', null, rows.filter(Boolean).map(([k, v, cls]) =>
      h('tr', { class: cls || null }, h('th', null, k), h('td', null, v)))));
  }

  // ---------------------------------------------------------------- objects

  function objectTypes(o) {
    const isViewer = !KW.isStatic && !(KW.store.user && KW.store.user.isAdmin);
    const types = [];
    for (const t of ['rendered', 'remote', 'applied']) {
      if (!o[t]) continue;
      if (isViewer && (t !== 'rendered' || KW.isSecretRef(o.ref))) continue;
      types.push(t);
    }
    return types;
  }

  function toggleManifest(result, ref, type) {
    const key = result.id + '|' + KW.refKey(ref) + '|' + KW.refApiVersion(ref) + '|' + type;
    if (manifests.has(key)) {
      manifests.delete(key);
      KW.scheduleRender();
      return;
    }
    const e = { status: 'loading' };
    manifests.set(key, e);
    KW.scheduleRender();
    KW.api.getCommandResultObject(result, ref, type).then(
      (data) => {
        e.status = 'ok';
        e.data = data;
      },
      (err) => {
        e.status = 'error';
        e.error = err;
      },
    ).finally(KW.scheduleRender);
  }

  function manifestEl(type, e) {
    let text;
    let cls = 'object-manifest';
    if (e.status === 'loading') text = 'loading…';
    else if (e.status === 'error') {
      text = e.error.status === 403 ? 'not allowed for viewers' : 'error: ' + errorText(e.error);
      cls += ' manifest-error';
    } else text = KW.toYaml(e.data);
    return h('div', { class: 'manifest', 'data-key': 'm:' + type },
      h('div', { class: 'manifest-title' }, type),
      h('pre', { class: cls, 'data-object-type': type }, text));
  }

  function objectRow(result, o) {
    const ref = o.ref || {};
    const rk = KW.refKey(ref);
    const types = objectTypes(o);
    const flags = [];
    for (const f of ['new', 'orphan', 'deleted', 'hook']) if (o[f]) flags.push(h('span', { class: 'flag flag-' + f }, f));
    if (o.changes && o.changes.length) flags.push(h('span', { class: 'flag flag-changed' }, 'changed'));
    const shown = types.map((t) => [t, manifests.get(result.id + '|' + rk + '|' + KW.refApiVersion(ref) + '|' + t)]).filter((x) => x[1]);
    return h('li', { class: 'object-row', 'data-ref': rk, 'data-key': rk + '|' + KW.refApiVersion(ref) },
      h('div', { class: 'object-head' },
        KW.refEl(ref),
        h('span', { class: 'flags' }, flags),
        h('span', { class: 'object-buttons' }, types.map((t) => h('button', {
          type: 'button',
          class: ['show-object', shown.some((x) => x[0] === t) ? 'active' : ''],
          'data-object-type': t,
          'data-key': t,
          on: { click: () => toggleManifest(result, ref, t) },
        }, t)))),
      shown.map(([t, e]) => manifestEl(t, e)));
  }

  // ---------------------------------------------------------------- result view

  function gitRef(ref) {
    if (!ref) return '';
    if (typeof ref === 'string') return ref;
    if (ref.branch) return 'branch ' + ref.branch;
    if (ref.tag) return 'tag ' + ref.tag;
    if (ref.commit) return 'commit ' + ref.commit;
    return '';
  }

  function gitUrl(u) {
    if (!u) return '';
    if (typeof u === 'string') return u;
    return u.url || u.Url || JSON.stringify(u);
  }

  function logsHref(clusterId, kd, reconcileId) {
    const parts = [kd.clusterId || clusterId || '', kd.namespace, kd.name];
    if (reconcileId) parts.push(reconcileId);
    return '#/logs/' + parts.map(encodeURIComponent).join('/');
  }

  function timeCell(iso) {
    const t = KW.parseTime(iso);
    if (t === null) return '-';
    return [new Date(t).toLocaleString(), ' ', h('span', { class: 'muted' }, '(' + KW.relTime(t) + ')')];
  }

  function resultSummary(r) {
    const ci = r.command || r.commandInfo || {};
    const tk = r.targetKey || {};
    const git = r.gitInfo || {};
    const pk = r.projectKey || {};
    const objs = r.objects || [];
    const count = (f) => objs.filter(f).length;
    const target = [tk.targetName || (r.target && r.target.name) || '(no target name)',
      tk.discriminator ? ' [' + tk.discriminator + ']' : '',
      tk.clusterId ? ' on cluster ' + tk.clusterId : ''].join('');
    return kv([
      ['command', h('span', { class: 'result-command' }, ci.command || 'unknown'), 'row-command'],
      ['project', (pk.repoKey || 'local project') + (pk.subDir ? ' / ' + pk.subDir : ''), 'row-project'],
      ['target', target, 'row-target'],
      ['initiator', ci.initiator || '', 'row-initiator'],
      r.kluctlDeployment ? ['KluctlDeployment', r.kluctlDeployment.namespace + '/' + r.kluctlDeployment.name, 'row-kd'] : null,
      ['started', timeCell(ci.startTime), 'row-start'],
      ['finished', timeCell(ci.endTime), 'row-end'],
      ['git url', gitUrl(git.url) || '-', 'row-git-url'],
      ['git ref', gitRef(git.ref) || '-', 'row-git-ref'],
      ['git commit', git.commit ? git.commit + (git.dirty ? ' (dirty)' : '') : '-', 'row-git-commit'],
      ['dry run', ci.dryRun ? 'yes' : 'no', 'row-dry-run'],
      ['objects', [
        h('span', { class: 'count count-new' }, String(count((o) => o.new))), ' new, ',
        h('span', { class: 'count count-changed' }, String(count((o) => o.changes && o.changes.length))), ' changed, ',
        h('span', { class: 'count count-orphan' }, String(count((o) => o.orphan))), ' orphan, ',
        h('span', { class: 'count count-deleted' }, String(count((o) => o.deleted))), ' deleted, ',
        h('span', { class: 'count count-errors' }, String((r.errors || []).length)), ' errors, ',
        h('span', { class: 'count count-warnings' }, String((r.warnings || []).length)), ' warnings, ',
        String(objs.length), ' total'], 'row-counts'],
    ]);
  }

  KW.views.result = (id) => {
    const e = load('result', id, KW.api.getCommandResult);
    const parts = [backLink()];
    if (e.status !== 'ok') {
      parts.push(loadingOrError(id, e, 'result'));
    } else {
      const r = e.data;
      const ci = r.command || r.commandInfo || {};
      const objs = r.objects || [];
      parts.push(h('h2', { class: 'view-title' }, 'Result: ' + (ci.command || 'unknown') + ' ', h('span', { class: 'muted result-id' }, id)));
      if (!KW.isStatic && r.reconcileId && r.kluctlDeployment) {
        parts.push(h('a', { class: 'logs-link', href: logsHref(r.clusterInfo && r.clusterInfo.clusterId, r.kluctlDeployment, r.reconcileId) }, 'controller logs'));
      }
      parts.push(resultSummary(r));
      parts.push(msgList('errors', 'error-msg', 'Errors', r.errors));
      parts.push(msgList('warnings', 'warning-msg', 'Warnings', r.warnings));
      const changed = objs.filter((o) => o.changes && o.changes.length);
      parts.push(h('section', { id: 'changed-objects', class: 'obj-section' },
        h('h3', null, 'Changed objects (' + changed.length + ')'),
        changed.length
          ? changed.map((o) => h('div', { class: 'changed-object', 'data-ref': KW.refKey(o.ref), 'data-key': KW.refKey(o.ref) + '|' + KW.refApiVersion(o.ref || {}) },
            h('div', { class: 'changed-object-head' }, KW.refEl(o.ref)),
            changesEl(o.changes)))
          : h('div', { class: 'empty' }, 'none')));
      parts.push(refSection('new-objects', 'New objects', objs.filter((o) => o.new), 'new-object'));
      parts.push(refSection('orphan-objects', 'Orphan objects', objs.filter((o) => o.orphan), 'orphan-object'));
      parts.push(refSection('deleted-objects', 'Deleted objects', objs.filter((o) => o.deleted), 'deleted-object'));
      parts.push(h('section', { id: 'all-objects', class: 'obj-section' },
        h('h3', null, 'All objects (' + objs.length + ')'),
        objs.length ? h('ul', { class: 'obj-list' }, objs.map((o) => objectRow(r, o))) : h('div', { class: 'empty' }, 'none')));
    }
    return h('div', { id: 'result-view', 'data-key': 'view-result:' + id, 'data-result-id': id }, parts);
  };

  // ---------------------------------------------------------------- validate view

  KW.views.validate = (id) => {
    const e = load('validate', id, KW.api.getValidateResult);
    const parts = [backLink()];
    if (e.status !== 'ok') {
      parts.push(loadingOrError(id, e, 'validate result'));
    } else {
      const v = e.data;
      const tk = v.targetKey || {};
      const drift = v.drift || [];
      const results = v.results || [];
      parts.push(h('h2', { class: 'view-title' }, 'Validate result ', h('span', { class: 'muted result-id' }, id)));
      parts.push(kv([
        ['ready', h('span', { class: ['validate-ready-state', v.ready ? 'badge badge-ready' : 'badge badge-failed'] }, v.ready ? 'ready' : 'not ready'), 'row-ready'],
        ['target', (tk.targetName || '(no target name)') + (tk.discriminator ? ' [' + tk.discriminator + ']' : '') + (tk.clusterId ? ' on cluster ' + tk.clusterId : ''), 'row-target'],
        v.kluctlDeployment ? ['KluctlDeployment', v.kluctlDeployment.namespace + '/' + v.kluctlDeployment.name, 'row-kd'] : null,
        ['started', timeCell(v.startTime), 'row-start'],
        ['finished', timeCell(v.endTime), 'row-end'],
      ]));
      parts.push(msgList('errors', 'error-msg', 'Errors', v.errors));
      parts.push(msgList('warnings', 'warning-msg', 'Warnings', v.warnings));
      parts.push(h('section', { id: 'validate-results', class: 'msg-section' },
        h('h3', null, 'Results (' + results.length + ')'),
        results.length
          ? h('ul', null, results.map((x) => h('li', { class: 'validate-result', 'data-ref': KW.refKey(x.ref) },
            KW.refEl(x.ref), ' ', h('code', { class: 'validate-annotation' }, x.annotation || ''), ': ',
            h('span', { class: 'msg-text' }, x.message || ''))))
          : h('div', { class: 'empty' }, 'none')));
      parts.push(h('section', { id: 'drift-objects', class: 'obj-section' },
        h('h3', null, 'Drift (' + drift.length + ')'),
        drift.length
          ? drift.map((d) => h('div', { class: 'drift-object', 'data-ref': KW.refKey(d.ref) },
            h('div', { class: 'changed-object-head' }, KW.refEl(d.ref)),
            changesEl(d.changes)))
          : h('div', { class: 'empty' }, 'none')));
    }
    return h('div', { id: 'validate-view', 'data-key': 'view-validate:' + id, 'data-result-id': id }, parts);
  };

  KW.logsHref = logsHref;
})();
