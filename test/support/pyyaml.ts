import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * PyYAML as an oracle: OpenPAI's scripts and Ansible read pai-deploy's files with it (YAML 1.1, yaml.safe_load).
 * Documents go to one python3 process as JSON lines; it answers each with the JSON of what safe_load built (or
 * the error it raised). Non-finite floats, timestamps and bytes become tagged objects; mapping keys become the
 * text json.dumps writes for them.
 */
const ORACLE = String.raw`
import base64, datetime, json, math, sys, yaml

def key(k):
    if isinstance(k, str): return k
    if k is True: return 'true'
    if k is False: return 'false'
    if k is None: return 'null'
    if isinstance(k, int): return str(k)
    if isinstance(k, float):
        if k != k: return 'NaN'
        if k in (math.inf, -math.inf): return 'Infinity' if k > 0 else '-Infinity'
        return repr(k)
    if isinstance(k, datetime.date): return k.isoformat()
    if isinstance(k, bytes): return k.decode('latin-1')
    return repr(k)

def plain(v):
    if isinstance(v, float) and (v != v or v in (math.inf, -math.inf)):
        return {'$float': 'nan' if v != v else 'inf' if v > 0 else '-inf'}
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, dict): return {key(k): plain(x) for k, x in v.items()}
    return v

def dates(v):
    if isinstance(v, datetime.date): return {'$timestamp': v.isoformat()}
    if isinstance(v, bytes): return {'$binary': base64.b64encode(v).decode('ascii')}
    raise TypeError('cannot represent %r' % (v,))

for line in sys.stdin:
    text = json.loads(line)
    try:
        answer = {'ok': plain(yaml.safe_load(text))}
        out = json.dumps(answer, default=dates, allow_nan=False)
    except Exception as error:
        out = json.dumps({'error': '%s: %s' % (type(error).__name__, str(error).splitlines()[0] if str(error) else '')})
    sys.stdout.write(out + '\n')
    sys.stdout.flush()
`;

export type Answer = { ok: unknown } | { error: string };

export function pyyamlProbe(): string | null {
  const probe = spawnSync('python3', ['-c', 'import yaml; print(yaml.__version__)'], { encoding: 'utf8' });
  if (probe.error)
    return `python3 is not installed (${probe.error.message}); scripts/ci/provision-pyyaml.sh sets it up`;
  if (probe.status !== 0)
    return `python3 has no PyYAML (${probe.stderr.trim().split('\n').at(-1)}); scripts/ci/provision-pyyaml.sh installs it`;
  return null;
}

export function pyyaml(documents: readonly string[]): Answer[] {
  const result = spawnSync('python3', ['-c', ORACLE], {
    input: documents.map((d) => JSON.stringify(d)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`the PyYAML oracle failed: ${result.stderr}`);
  const answers = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Answer);
  expect(answers).toHaveLength(documents.length);
  return answers;
}
