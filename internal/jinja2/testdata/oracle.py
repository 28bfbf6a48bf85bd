"""Differential oracle: renders a batch of templates with real Jinja2.

Reads one JSON document from stdin:
    {"vars": {...}, "cases": [{"template": "...", "strict": true,
                               "trim_blocks": false, "lstrip_blocks": false}, ...]}
and writes a JSON list with one result per case:
    {"ok": true, "out": "..."} or {"ok": false, "kind": "UndefinedError", "msg": "..."}

The environment matches Kluctl's: StrictUndefined (or a lenient undefined),
autoescape off, keep_trailing_newline off, the loopcontrols extension, and
the variables given as globals.
"""
import base64
import hashlib
import json
import sys
import traceback

import jinja2
import yaml


class _KluctlDumper(yaml.SafeDumper):
    """SafeDumper that prints multi-line strings as literal blocks."""


def _represent_str(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_KluctlDumper.add_representer(str, _represent_str)


def to_yaml(obj):
    return yaml.dump(obj, Dumper=_KluctlDumper, default_flow_style=False, sort_keys=False, allow_unicode=True)


def sha256(s, digest_len=None):
    h = hashlib.sha256(s.encode("utf-8")).hexdigest()
    return h[:digest_len] if digest_len is not None else h


KLUCTL_FILTERS = {
    "to_yaml": to_yaml,
    "from_yaml": yaml.safe_load,
    "b64encode": lambda s: base64.b64encode(s.encode("utf-8")).decode("utf-8"),
    "b64decode": lambda s: base64.b64decode(s.encode("utf-8")).decode("utf-8"),
    "sha256": sha256,
}


class LenientUndefined(jinja2.ChainableUndefined):
    """Undefined that renders empty and swallows operations."""

    def _fail_with_undefined_error(self, *args, **kwargs):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = __pos__ = __neg__ = _fail_with_undefined_error
    __call__ = __getitem__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
    __int__ = __float__ = __complex__ = __pow__ = __rpow__ = _fail_with_undefined_error


def render(case, variables, envs):
    """Render one case; variables are fresh per case so mutations do not leak."""
    key = (case.get("strict", True), case.get("trim_blocks", False), case.get("lstrip_blocks", False))
    env = envs.get(key)
    if env is None:
        env = jinja2.Environment(
            undefined=jinja2.StrictUndefined if key[0] else LenientUndefined,
            trim_blocks=key[1],
            lstrip_blocks=key[2],
            keep_trailing_newline=False,
            autoescape=False,
            extensions=["jinja2.ext.loopcontrols"],
        )
        env.filters.update(KLUCTL_FILTERS)
        envs[key] = env
    try:
        out = env.from_string(case["template"], globals=variables).render()
        return {"ok": True, "out": out}
    except jinja2.TemplateSyntaxError as e:
        return {"ok": False, "kind": type(e).__name__, "msg": e.message or "", "line": e.lineno}
    except RecursionError as e:
        return {"ok": False, "kind": "RecursionError", "msg": str(e)}
    except Exception as e:  # noqa: BLE001 - every failure is a result
        msg = e.message if isinstance(e, jinja2.TemplateError) and e.message else str(e)
        return {"ok": False, "kind": type(e).__name__, "msg": msg, "line": template_line(e)}


def template_line(exc):
    """The innermost template line of a runtime error's traceback."""
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def main():
    req = json.load(sys.stdin)
    variables = req.get("vars") or {}
    envs = {}
    results = []
    for case in req["cases"]:
        results.append(render(case, json.loads(json.dumps(variables)), envs))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    sys.setrecursionlimit(3000)
    main()
