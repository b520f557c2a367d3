"""Renders templates with the real Jinja2, as paictl did, for pai-deploy's differential tests.

stdin: a JSON list of jobs, each {"template": text, "context": object}; stdout: a JSON list of answers in the same
order, each {"ok": rendered text} or {"error": {"type": exception class name, "message": text}}. One process renders
every job, so a test run starts Python once.

paictl rendered with `jinja2.Template(text).render(map_table)` (deployment/paiLibrary/common/template_handler.py),
on Python 2, whose dicts have iteritems/iterkeys/itervalues/has_key: the contexts' dicts get those methods here
(cluster-configuration's host-configuration template calls .iteritems()).
"""
import json
import sys

import jinja2


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
        # Compiled once per text: the differential test renders one template with many contexts.
        template = _compiled.get(text)
        if template is None:
            template = _compiled[text] = jinja2.Template(text)
        return {"ok": template.render(job["context"])}
    except Exception as error:  # every failure is an answer: the test compares them
        return {"error": {"type": type(error).__name__, "message": str(error)}}


def main():
    jobs = json.loads(sys.stdin.read(), object_pairs_hook=Py2Dict)
    json.dump([render(job) for job in jobs], sys.stdout)


main()
