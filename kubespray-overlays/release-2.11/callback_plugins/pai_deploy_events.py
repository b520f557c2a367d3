# pai-deploy's event callback for Ansible 2.7 (kubespray release-2.11's Ansible).
#
# Why: pai-deploy shows the current play and task, per-host counts and, on failure, the cause; parsing the default
# callback's human text for that is fragile. This plugin runs beside the default stdout callback (which still writes
# the full log) and prints one JSON line per play, task, host result and the final stats, each prefixed with a
# marker that carries a per-run token (PAI_DEPLOY_EVENT_TOKEN), so a task's own output that happens to look like an
# event is never taken for one.
#
# It never prints a result of a `no_log` task beyond its host and status (Ansible has already censored it), and it
# trims long fields: the cause of a failure is in the last lines of stdout/stderr, and the full text is in the log.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    callback: pai_deploy_events
    type: notification
    short_description: one JSON line per play, task, host result and the stats, for pai-deploy
    description:
      - Prints "@@pai-deploy-event:<token>@@ <json>" lines on stdout; enabled through callback_whitelist.
    requirements:
      - the PAI_DEPLOY_EVENT_TOKEN environment variable
'''

# Per text field of a failed result: enough lines for the cause, never megabytes of apt progress.
MAX_FIELD_CHARS = 16000
MAX_LINES = 60
TEXT_FIELDS = ('msg', 'stdout', 'stderr', 'module_stdout', 'module_stderr', 'exception', 'reason')
LINE_FIELDS = ('stdout_lines', 'stderr_lines')


def _tail_text(value):
    if not isinstance(value, str):
        try:
            value = json.dumps(value, default=str)
        except Exception:
            value = str(value)
    if len(value) > MAX_FIELD_CHARS:
        value = value[-MAX_FIELD_CHARS:]
    return value


def _tail_lines(value):
    if not isinstance(value, list):
        return None
    return [_tail_text(line) for line in value[-MAX_LINES:]]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'pai_deploy_events'
    CALLBACK_NEEDS_WHITELIST = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._prefix = '@@pai-deploy-event:%s@@ ' % os.environ.get('PAI_DEPLOY_EVENT_TOKEN', 'none')
        self._task = None

    def _emit(self, event):
        event['time'] = round(time.time(), 3)
        line = self._prefix + json.dumps(event, sort_keys=True, default=str)
        # One write per line, flushed, so the lines never interleave with the default callback's within a line.
        sys.stdout.write(line + '\n')
        sys.stdout.flush()

    def _task_info(self, task):
        role = None
        if getattr(task, '_role', None) is not None:
            role = task._role.get_name()
        return {'task': task.get_name().strip(), 'role': role, 'action': task.action}

    def _host_result(self, kind, result, extra=None):
        event = {'event': kind, 'host': result._host.get_name()}
        event.update(self._task_info(result._task))
        data = result._result if isinstance(result._result, dict) else {}
        event['changed'] = bool(data.get('changed', False))
        delegated = data.get('_ansible_delegated_vars', {}).get('ansible_host') if isinstance(
            data.get('_ansible_delegated_vars'), dict) else None
        if delegated:
            event['delegatedTo'] = delegated
        if kind in ('failed', 'unreachable'):
            if data.get('_ansible_no_log') or result._task.no_log:
                event['censored'] = True
            else:
                for field in TEXT_FIELDS:
                    if field in data and data[field] not in (None, ''):
                        event[field] = _tail_text(data[field])
                for field in LINE_FIELDS:
                    lines = _tail_lines(data.get(field))
                    if lines:
                        event[field] = lines
                if isinstance(data.get('rc'), int):
                    event['rc'] = data['rc']
                # A failure inside a loop: the failing items carry the cause.
                items = data.get('results')
                if isinstance(items, list):
                    failed = [item for item in items if isinstance(item, dict) and item.get('failed')]
                    event['failedItems'] = [
                        dict((k, _tail_text(v)) for k, v in item.items()
                             if k in TEXT_FIELDS + ('item', 'rc') and v not in (None, ''))
                        for item in failed[-5:]
                    ]
        if extra:
            event.update(extra)
        self._emit(event)

    def v2_playbook_on_start(self, playbook):
        self._emit({'event': 'playbook', 'file': os.path.basename(playbook._file_name)})

    def v2_playbook_on_play_start(self, play):
        self._emit({'event': 'play', 'name': play.get_name().strip(), 'hosts': list(play.hosts or [])})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit(dict({'event': 'task'}, **self._task_info(task)))

    def v2_playbook_on_handler_task_start(self, task):
        self._emit(dict({'event': 'task', 'handler': True}, **self._task_info(task)))

    def v2_runner_on_ok(self, result):
        self._host_result('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host_result('failed', result, {'ignored': bool(ignore_errors)})

    def v2_runner_on_unreachable(self, result):
        self._host_result('unreachable', result)

    def v2_runner_on_skipped(self, result):
        self._host_result('skipped', result)

    def v2_playbook_on_no_hosts_matched(self):
        self._emit({'event': 'no-hosts'})

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            hosts[host] = dict((key, summary.get(key, 0))
                               for key in ('ok', 'changed', 'unreachable', 'failures', 'skipped', 'rescued', 'ignored'))
        self._emit({'event': 'stats', 'hosts': hosts})
