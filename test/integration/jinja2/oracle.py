"""Renders templates with the real Jinja2, as paictl did, for pai-deploy's differential tests.

stdin: a JSON list of jobs, each {"template": text, "context": object}; stdout: a JSON list of answers in the same
order, each {"ok": rendered text} or {"error": {"type": exception class name, "message": text}}. One process renders
every job, so a test run starts Python once.

paictl rendered with `jinja2.Template(text).render(map_table)` (deployment/paiLibrary/common/template_handler.py),
on Python 2, whose dicts have iteritems/iterkeys/itervalues/has_key: the contexts' dicts get those methods here
(cluster-configuration's host-configuration template calls .iteritems()).

The script also runs on Python 2 (scripts/openpai-templates-compare.mjs can point it at a Python 2.7 with the
Jinja2 2.8 Ubuntu 16.04's dev-box had): there, ASCII strings become `str`, as PyYAML built them for paictl, so a
list prints ['a'] and not [u'a'].
"""
import json
import sys

import jinja2


PYTHON2 = sys.version_info[0] == 2


def native(value):
    if PYTHON2 and isinstance(value, unicode):  # noqa: F821 (Python 2 only)
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            return value
    if isinstance(value, list):
        return [native(item) for item in value]
    return value


class Py2Dict(dict):
    def iteritems(self):
        return iter(self.items())

    def iterkeys(self):
        return iter(self.keys())

    def itervalues(self):
        return iter(self.values())

    def has_key(self, key):
        return key in self


_compiled = {}


def render(job):
    try:
        text = job["template"]
        if PYTHON2:
            text = unicode(text)  # noqa: F821 (paictl decoded its templates from UTF-8)
        # Compiled once per text: the differential test renders one template with many contexts.
        template = _compiled.get(text)
        if template is None:
            template = _compiled[text] = jinja2.Template(text)
        return {"ok": template.render(job["context"])}
    except Exception as error:  # every failure is an answer: the test compares them
        try:
            message = str(error)
        except UnicodeError:  # Python 2, a non-ASCII message
            message = repr(error)
        return {"error": {"type": type(error).__name__, "message": message}}


def main():
    jobs = json.loads(
        sys.stdin.read(), object_pairs_hook=lambda pairs: Py2Dict((native(k), native(v)) for k, v in pairs)
    )
    json.dump([render(job) for job in jobs], sys.stdout)


main()
