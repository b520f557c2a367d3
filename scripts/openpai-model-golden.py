#!/usr/bin/env python2
# -*- coding: utf-8 -*-
"""Golden outputs of OpenPAI v1.8.0's own cluster object model, for test/unit/openpai-model.test.ts.

For every case under test/fixtures/openpai-model/cases/<name>/ (layout.yaml, services-configuration.yaml,
case.json) this runs paictl's object model -- the unmodified modules of an OpenPAI checkout given with --tree --
and writes what it produced to test/fixtures/openpai-model/golden/<name>.json: {"model": ...}, or {"error": ...}
when paictl stopped (a failed validation or a Python exception), with the phase and parser it stopped in.

paictl v1.8.0 runs under Python 2 (its parsers use dict.iterkeys(), "{}".encode("base64"), urlparse), with the
v1.8.0 dev-box's Ubuntu 16.04 python-yaml 3.11. A throwaway virtualenv outside the repository:

    ~/.pyenv/versions/2.7.18/bin/python -m pip install --user virtualenv==20.15.1
    ~/.pyenv/versions/2.7.18/bin/python -m virtualenv /tmp/pai-venv27
    /tmp/pai-venv27/bin/pip install PyYAML==3.11 jinja2==2.8 paramiko==2.6.0 cryptography==3.2 bcrypt==3.1.7 python-etcd
    git -C <pai clone> archive v1.8.0 | tar -x -C /tmp/pai-v1.8.0
    /tmp/pai-venv27/bin/python scripts/openpai-model-golden.py --tree /tmp/pai-v1.8.0

How a case runs: a scratch tree is made in a temporary directory with OpenPAI's deployment/ package and each
service's parser (symbolic links to --tree's files, so the modules are OpenPAI's own) and, beside each parser, the
defaults file of the case: test/fixtures/openpai-shaped/src/<svc>/config/<svc>.yaml (ours, in OpenPAI's shape),
or with --real-defaults the tree's own. paictl finds parsers by listing src/, so the scratch tree holds exactly
the services the case names (case.json "services", default: every service with a defaults fixture).
alert-manager lists its e-mail templates from src/alert-manager/deploy/alert-templates/, made from case.json
"alertTemplates". Each case runs in a child process (paictl's parsers mutate module state and call sys.exit).

The cluster parser runs `docker login` and reads ~/.docker/config.json when registry credentials are given. The
child gets an empty HOME and a stand-in `docker` first on PATH that writes the file a docker CLI writes after one
login into an empty home (see src/openpai/model/docker-auth.ts); so the golden records what OpenPAI's code makes
of that file. Nothing is written into --tree (no .pyc files).

Options: --tree DIR (required), --cases DIR, --defaults DIR, --real-defaults, --out DIR, --case NAME (repeatable).
"""
from __future__ import print_function

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# The stand-in docker CLI: `docker login -u USER -p PASSWORD [SERVER]` writes config.json as docker's
# json.MarshalIndent(config, "", "\t") does for one auth entry (no trailing newline); Docker Hub is stored under
# its index URL. Anything else fails, as docker would without a daemon.
FAKE_DOCKER = r'''#!/bin/sh
[ "$1" = login ] || exit 1
shift
user=; pass=; server=
while [ $# -gt 0 ]; do
  case "$1" in
    -u) user=$2; shift 2 ;;
    -p) pass=$2; shift 2 ;;
    *) server=$1; shift ;;
  esac
done
if [ -z "$server" ] || [ "$server" = docker.io ]; then server=https://index.docker.io/v1/; fi
auth=$(printf '%s:%s' "$user" "$pass" | base64 | tr -d '\n')
mkdir -p "$HOME/.docker"
printf '{\n\t"auths": {\n\t\t"%s": {\n\t\t\t"auth": "%s"\n\t\t}\n\t}\n}' "$server" "$auth" > "$HOME/.docker/config.json"
echo "Login Succeeded"
'''


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tree', required=True, help='an OpenPAI v1.8.0 checkout (its deployment/ and src/)')
    parser.add_argument('--cases', default=os.path.join(REPO, 'test/fixtures/openpai-model/cases'))
    parser.add_argument('--defaults', default=os.path.join(REPO, 'test/fixtures/openpai-shaped'),
                        help='a tree of src/<svc>/config/<svc>.yaml defaults files')
    parser.add_argument('--real-defaults', action='store_true', help="use the --tree's own defaults files")
    parser.add_argument('--out', default=os.path.join(REPO, 'test/fixtures/openpai-model/golden'))
    parser.add_argument('--case', action='append', help='only this case (repeatable)')
    parser.add_argument('--child', nargs=2, metavar=('SCRATCH', 'CASE_DIR'), help=argparse.SUPPRESS)
    return parser.parse_args()


def parser_file(tree, service):
    return os.path.join(tree, 'src', service, 'config', service.replace('-', '_') + '.py')


def tree_services(tree):
    return sorted(s for s in os.listdir(os.path.join(tree, 'src')) if os.path.isfile(parser_file(tree, s)))


def link_tree(source, target):
    """Real directories, files as symbolic links: `..` in paictl's paths then stays inside the scratch tree."""
    for root, dirs, files in os.walk(source):
        rel = os.path.relpath(root, source)
        os.makedirs(os.path.join(target, rel)) if rel != '.' else None
        for name in files:
            if not name.endswith('.pyc'):
                os.symlink(os.path.join(root, name), os.path.join(target, rel, name))


def build_scratch(args, case, scratch):
    tree = os.path.abspath(args.tree)
    os.makedirs(os.path.join(scratch, 'deployment'))
    link_tree(os.path.join(tree, 'deployment'), os.path.join(scratch, 'deployment'))
    defaults_root = tree if args.real_defaults else os.path.abspath(args.defaults)
    available = [s for s in tree_services(tree)
                 if os.path.isfile(os.path.join(defaults_root, 'src', s, 'config', s + '.yaml'))]
    services = case.get('services', available)
    for service in services:
        config = os.path.join(scratch, 'src', service, 'config')
        os.makedirs(config)
        os.symlink(parser_file(tree, service), os.path.join(config, os.path.basename(parser_file(tree, service))))
        defaults = os.path.join(defaults_root, 'src', service, 'config', service + '.yaml')
        if os.path.isfile(defaults):
            shutil.copy(defaults, os.path.join(config, service + '.yaml'))
    if 'alert-manager' in services:
        templates = os.path.join(scratch, 'src', 'alert-manager', 'deploy', 'alert-templates')
        os.makedirs(templates)
        if args.real_defaults:
            real = os.path.join(tree, 'src', 'alert-manager', 'deploy', 'alert-templates')
            shutil.rmtree(templates)
            shutil.copytree(real, templates)
        else:
            for name, files in sorted(case.get('alertTemplates', {}).items()):
                os.makedirs(os.path.join(templates, name))
                for f in files:
                    open(os.path.join(templates, name, f), 'w').close()
    bin_dir = os.path.join(scratch, 'bin')
    os.makedirs(bin_dir)
    with open(os.path.join(bin_dir, 'docker'), 'w') as f:
        f.write(FAKE_DOCKER)
    os.chmod(os.path.join(bin_dir, 'docker'), 0o755)
    os.makedirs(os.path.join(scratch, 'home'))
    return services


class Recorder(logging.Handler):
    """Follows paictl's progress messages to know the phase and parser it stopped in, and keeps its errors."""
    PHASES = [(re.compile(r'pre-validation of (\S+)'), 'pre'),
              (re.compile(r'generate object model of (\S+?)\.?$'), 'run'),
              (re.compile(r'post-validation of (\S+?)\.?$'), 'post')]

    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.phase, self.service, self.errors, self.warnings = 'load', None, [], []

    def emit(self, record):
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.errors.append(message)
        elif record.levelno == logging.WARNING:
            self.warnings.append(message)
        elif message.startswith('Begin to do'):
            for pattern, phase in self.PHASES:
                match = pattern.search(message)
                if match:
                    self.phase, self.service = phase, match.group(1)


def isoformat(value):
    if hasattr(value, 'isoformat'):
        return value.isoformat()
    raise TypeError(repr(value))


def child(scratch, case_dir):
    # What paictl's commands print (docker login's "Login Succeeded") goes to stderr; stdout carries the result.
    result_out = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)
    sys.dont_write_bytecode = True
    sys.path.insert(0, scratch)
    recorder = Recorder()
    logging.getLogger().addHandler(recorder)
    logging.getLogger().setLevel(logging.DEBUG)
    result = {}
    try:
        from deployment.clusterObjectModel.cluster_object_model import cluster_object_model
        model = cluster_object_model(configuration_path=case_dir).service_config()
        result['model'] = model
    except SystemExit:
        result['error'] = {'phase': recorder.phase, 'service': recorder.service, 'kind': 'validation',
                           'message': recorder.errors[-1] if recorder.errors else None}
    except Exception as error:  # paictl crashed: record which exception, where
        result['error'] = {'phase': recorder.phase, 'service': recorder.service, 'kind': 'exception',
                           'message': '%s: %s' % (type(error).__name__, error)}
    if recorder.warnings:
        result['warnings'] = recorder.warnings
    result_out.write(json.dumps(result, indent=2, sort_keys=True, default=isoformat, ensure_ascii=False)
                     .encode('utf-8') + b'\n')
    result_out.flush()


def main():
    args = parse_args()
    if args.child:
        return child(*args.child)
    if sys.version_info[0] != 2:
        sys.exit('run this with the Python 2.7 of paictl v1.8.0 (see the header of %s)' % __file__)
    names = sorted(args.case or [d for d in os.listdir(args.cases) if os.path.isdir(os.path.join(args.cases, d))])
    if not os.path.isdir(args.out):
        os.makedirs(args.out)
    for name in names:
        case_dir = os.path.join(args.cases, name)
        with open(os.path.join(case_dir, 'case.json')) as f:
            case = json.load(f)
        scratch = tempfile.mkdtemp(prefix='pai-model-golden-')
        try:
            build_scratch(args, case, scratch)
            env = dict(os.environ, HOME=os.path.join(scratch, 'home'), PYTHONDONTWRITEBYTECODE='1', PYTHONWARNINGS='ignore',
                       PATH=os.path.join(scratch, 'bin') + os.pathsep + os.environ.get('PATH', ''))
            # paictl resolves the configuration against its working directory: run from the scratch tree.
            output = subprocess.check_output([sys.executable, os.path.abspath(__file__), '--tree', args.tree,
                                              '--child', scratch, os.path.abspath(case_dir)], env=env, cwd=scratch)
        finally:
            shutil.rmtree(scratch)
        with open(os.path.join(args.out, name + '.json'), 'wb') as f:
            f.write(output)
        outcome = json.loads(output.decode('utf-8'))
        print('%-40s %s' % (name, 'model' if 'model' in outcome else 'error: %s' % outcome['error']['message']))


if __name__ == '__main__':
    main()
