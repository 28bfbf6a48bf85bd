// Kluctl webui: shared helpers (DOM building, DOM morphing, time, YAML, diffs).
// Classic script: everything hangs off the global namespace object KW.
var KW = window.KW || {};
window.KW = KW;

(function () {
  'use strict';

  // ---------------------------------------------------------------- DOM building

  // h(tag, props, ...children) builds an element. Text is always inserted as
  // text nodes, never parsed as HTML.
  //  props.class: string | array | {name: bool}
  //  props.on: {eventType: handler(event, element)} (delegated, see below)
  //  any other key: attribute; true -> "", false/null/undefined -> omitted.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (k === 'on') {
          if (v) el._kwOn = v;
        } else if (k === 'class') {
          const c = className(v);
          if (c) el.setAttribute('class', c);
        } else if (v === true) {
          el.setAttribute(k, '');
        } else if (v !== false && v !== null && v !== undefined) {
          el.setAttribute(k, String(v));
        }
      }
    }
    append(el, children);
    return el;
  }

  function className(v) {
    if (!v) return '';
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.filter(Boolean).join(' ');
    return Object.keys(v).filter((k) => v[k]).join(' ');
  }

  function append(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false || c === true) continue;
      if (Array.isArray(c)) append(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
  }

  // Delegated events: handlers stored on elements as _kwOn survive morphing
  // (the morph copies them onto the kept element), so they never go stale.
  for (const type of ['click', 'submit', 'input', 'change', 'keydown']) {
    document.addEventListener(type, (ev) => {
      let n = ev.target;
      while (n && n !== document) {
        if (n._kwOn && n._kwOn[type]) {
          n._kwOn[type](ev, n);
          return;
        }
        n = n.parentNode;
      }
    });
  }

  // ---------------------------------------------------------------- DOM morphing

  // morph(oldParent, newParent) makes oldParent's children look like
  // newParent's, reusing existing nodes (matched by data-key, else by position
  // and tag), so elements under test stay attached across re-renders and
  // typed input values survive.
  function nodeKey(n) {
    return n.nodeType === 1 ? n.getAttribute('data-key') : null;
  }

  function sameType(a, b) {
    return a.nodeType === b.nodeType && (a.nodeType !== 1 || a.tagName === b.tagName);
  }

  function morphChildren(oldEl, newEl) {
    const newKids = Array.from(newEl.childNodes);
    const keyed = new Map();
    for (const n of oldEl.childNodes) {
      const k = nodeKey(n);
      if (k !== null) keyed.set(k, n);
    }
    let cursor = oldEl.firstChild;
    for (const nk of newKids) {
      const k = nodeKey(nk);
      let match = null;
      if (k !== null) {
        const c = keyed.get(k);
        if (c && sameType(c, nk)) {
          match = c;
          keyed.delete(k);
        }
      } else if (cursor && nodeKey(cursor) === null && sameType(cursor, nk)) {
        match = cursor;
      }
      if (match) {
        if (match === cursor) cursor = cursor.nextSibling;
        else oldEl.insertBefore(match, cursor);
        morphNode(match, nk);
      } else {
        oldEl.insertBefore(nk, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextSibling;
      oldEl.removeChild(cursor);
      cursor = next;
    }
  }

  function morphNode(oldN, newN) {
    if (oldN.nodeType !== 1) {
      if (oldN.nodeValue !== newN.nodeValue) oldN.nodeValue = newN.nodeValue;
      return;
    }
    for (const a of Array.from(oldN.attributes)) {
      if (!newN.hasAttribute(a.name)) oldN.removeAttribute(a.name);
    }
    for (const a of Array.from(newN.attributes)) {
      if (oldN.getAttribute(a.name) !== a.value) oldN.setAttribute(a.name, a.value);
    }
    oldN._kwOn = newN._kwOn;
    morphChildren(oldN, newN);
  }

  // render(container, nodes): morph container's content into nodes.
  function render(container, nodes) {
    const tmp = document.createElement(container.tagName);
    append(tmp, [nodes]);
    morphChildren(container, tmp);
  }

  // ---------------------------------------------------------------- time

  function parseTime(s) {
    if (!s) return null;
    const t = Date.parse(s);
    return isNaN(t) ? null : t;
  }

  function relTime(t) {
    if (t === null || t === undefined) return 'unknown';
    const d = Math.round((Date.now() - t) / 1000);
    if (d < 5) return 'just now';
    if (d < 60) return d + 's ago';
    if (d < 3600) return Math.floor(d / 60) + 'm ago';
    if (d < 86400) return Math.floor(d / 3600) + 'h ago';
    if (d < 86400 * 30) return Math.floor(d / 86400) + 'd ago';
    return new Date(t).toLocaleDateString();
  }

  // timeEl(iso): <time> with relative text and the absolute time as title.
  function timeEl(iso, cls) {
    const t = parseTime(iso);
    if (t === null) return h('span', { class: ['time', cls] }, '-');
    return h('time', { class: ['time', cls], datetime: new Date(t).toISOString(), title: new Date(t).toLocaleString() }, relTime(t));
  }

  // ---------------------------------------------------------------- YAML

  const plainRe = /^[A-Za-z0-9_./@$][A-Za-z0-9_ ./@$:=,+()-]*$/;
  const ambiguousRe = /^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|\.inf|\.nan)$/i;

  function yamlScalar(v) {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    if (typeof v === 'string') {
      if (v !== '' && plainRe.test(v) && !ambiguousRe.test(v) && !/(: |:$| #|\s$)/.test(v)) return v;
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return v.length ? JSON.stringify(v) : '[]';
    if (typeof v === 'object') return Object.keys(v).length ? JSON.stringify(v) : '{}';
    return JSON.stringify(v);
  }

  function isNonEmptyObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
  }

  function isNonEmptyArr(v) {
    return Array.isArray(v) && v.length > 0;
  }

  function isMultiline(v) {
    return typeof v === 'string' && v.includes('\n');
  }

  function blockLines(s, pad, out) {
    const body = s.endsWith('\n') ? s.slice(0, -1) : s;
    for (const l of body.split('\n')) out.push(l === '' ? '' : pad + l);
  }

  function yamlLines(v, pad, out) {
    if (Array.isArray(v) && v.length) {
      for (const item of v) {
        if (isNonEmptyObj(item) || isNonEmptyArr(item)) {
          const sub = [];
          yamlLines(item, '', sub);
          out.push(pad + '- ' + sub[0]);
          for (const l of sub.slice(1)) out.push(l === '' ? '' : pad + '  ' + l);
        } else if (isMultiline(item)) {
          out.push(pad + '- |' + (item.endsWith('\n') ? '' : '-'));
          blockLines(item, pad + '    ', out);
        } else {
          out.push(pad + '- ' + yamlScalar(item));
        }
      }
    } else if (isNonEmptyObj(v)) {
      for (const k of Object.keys(v)) {
        const val = v[k];
        const key = yamlScalar(k);
        if (isNonEmptyObj(val)) {
          out.push(pad + key + ':');
          yamlLines(val, pad + '  ', out);
        } else if (isNonEmptyArr(val)) {
          out.push(pad + key + ':');
          yamlLines(val, pad, out);
        } else if (isMultiline(val)) {
          out.push(pad + key + ': |' + (val.endsWith('\n') ? '' : '-'));
          blockLines(val, pad + '  ', out);
        } else {
          out.push(pad + key + ': ' + yamlScalar(val));
        }
      }
    } else if (isMultiline(v)) {
      out.push(pad + '|' + (v.endsWith('\n') ? '' : '-'));
      blockLines(v, pad + '  ', out);
    } else {
      out.push(pad + yamlScalar(v));
    }
    return out;
  }

  function toYaml(v) {
    return yamlLines(v, '', []).join('\n') + '\n';
  }

  // ---------------------------------------------------------------- diffs

  function diffLine(l) {
    let cls = 'diff-ctx';
    if (l.startsWith('+++') || l.startsWith('---')) cls = 'diff-file';
    else if (l.startsWith('+')) cls = 'diff-add';
    else if (l.startsWith('-')) cls = 'diff-del';
    else if (l.startsWith('@@')) cls = 'diff-hunk';
    return h('span', { class: cls }, l + '\n');
  }

  // diffPre(change): <pre class="unified-diff"> for one change. Without a
  // unifiedDiff the old and new values are shown as removed/added YAML.
  function diffPre(change) {
    let lines;
    if (change.unifiedDiff) {
      lines = change.unifiedDiff.replace(/\n$/, '').split('\n');
    } else {
      lines = [];
      if (change.oldValue !== undefined && change.oldValue !== null) {
        for (const l of toYaml(change.oldValue).replace(/\n$/, '').split('\n')) lines.push('-' + l);
      }
      if (change.newValue !== undefined && change.newValue !== null) {
        for (const l of toYaml(change.newValue).replace(/\n$/, '').split('\n')) lines.push('+' + l);
      }
      if (!lines.length) lines.push(' (no details)');
    }
    return h('pre', { class: 'unified-diff' }, lines.map(diffLine));
  }

  // ---------------------------------------------------------------- object refs

  function refKey(ref) {
    ref = ref || {};
    return (ref.kind || '') + '/' + (ref.namespace || '') + '/' + (ref.name || '');
  }

  function refApiVersion(ref) {
    return ref.group ? ref.group + '/' + (ref.version || '') : (ref.version || '');
  }

  function shortKind(ref) {
    const m = KW.store && KW.store.shortNames;
    if (!m) return null;
    return m.get((ref.group || '') + '/' + ref.kind) || null;
  }

  // refEl(ref): "Kind namespace/name", with apiVersion and short name as title.
  function refEl(ref) {
    ref = ref || {};
    const sk = shortKind(ref);
    const title = [refApiVersion(ref), sk ? 'short: ' + sk : ''].filter(Boolean).join(', ');
    return h('span', { class: 'obj-ref', title: title || null },
      h('span', { class: 'obj-kind' }, ref.kind || '?'), ' ',
      ref.namespace ? h('span', { class: 'obj-ns' }, ref.namespace + '/') : null,
      h('span', { class: 'obj-name' }, ref.name || '?'));
  }

  function isSecretRef(ref) {
    return ref && ref.kind === 'Secret' && !ref.group;
  }

  function shortId(s, n) {
    s = s || '';
    return s.length > (n || 8) ? s.slice(0, n || 8) : s;
  }

  Object.assign(KW, {
    h, render, parseTime, relTime, timeEl, toYaml, diffPre, refKey, refEl, refApiVersion,
    isSecretRef, shortId,
  });
})();
