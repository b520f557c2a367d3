import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The Ansible kubespray 2.11 really runs: ansible==2.7.12 with requirements.txt's pins, on CPython 3.7 (Ansible 2.7
 * breaks on 3.8+), in a venv scripts/ci/provision-ansible27.sh builds at
 * ${PAI_DEPLOY_CACHE:-~/.cache/pai-deploy}/ansible-2.7.12. The Debian ansible-core of provision-ansible.sh is a
 * different YAML reader and templater; this one is the oracle for what kubespray will see.
 */
export const ANSIBLE27_VERSION = '2.7.12';

const run = promisify(execFile);

export function ansible27Venv(): string {
  const cache = process.env['PAI_DEPLOY_CACHE'] || join(homedir(), '.cache', 'pai-deploy');
  return join(cache, `ansible-${ANSIBLE27_VERSION}`);
}

/** The venv's bin directory: ansible, ansible-inventory, ansible-playbook, python. */
export const ansible27Bin: string = join(ansible27Venv(), 'bin');

/** For describeWithInfra: null when the venv's ansible-playbook reports 2.7.12 on Python 3.6 or 3.7. */
export async function ansible27Probe(): Promise<string | null> {
  const fix = 'scripts/ci/provision-ansible27.sh builds it';
  const playbook = join(ansible27Bin, 'ansible-playbook');
  let stdout: string;
  try {
    ({ stdout } = await run(playbook, ['--version'], { env: ansible27Env(), timeout: 60_000 }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `no Ansible ${ANSIBLE27_VERSION} venv at ${ansible27Venv()}; ${fix}`
      : `${playbook} --version failed (${String((error as Error).message).split('\n')[0]}); ${fix}`;
  }
  const first = stdout.split('\n')[0]!.trim();
  if (first !== `ansible-playbook ${ANSIBLE27_VERSION}`)
    return `${playbook} reports "${first}", not ${ANSIBLE27_VERSION}; ${fix}`;
  const python = /^\s*python version = (\S+)/m.exec(stdout)?.[1];
  if (python === undefined || !/^3\.[67]\./.test(python))
    return `the Ansible ${ANSIBLE27_VERSION} venv runs on Python ${python ?? '(unknown)'}, not 3.6 or 3.7; ${fix}`;
  return null;
}

/**
 * The environment Ansible 2.7 runs in for tests: nothing inherited from ANSIBLE_* variables, and, when `home` (a
 * temp dir) is given, HOME, an empty ansible.cfg, the local and remote temp dirs and the SSH control path all inside
 * it, so nothing is written elsewhere. Warnings that say nothing about the files read are off (the cryptography
 * wheel's about Python 3.7 among them); an inventory source Ansible cannot parse is an error, not a warning.
 */
export function ansible27Env(home?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('ANSIBLE_') && !name.startsWith('PYTHON') && name !== 'VIRTUAL_ENV') env[name] = value;
  }
  Object.assign(env, {
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
    ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'true',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_HOST_KEY_CHECKING: 'false',
    ANSIBLE_GATHERING: 'explicit',
    PYTHONWARNINGS: 'ignore',
    PYTHONDONTWRITEBYTECODE: '1',
  });
  if (home !== undefined) {
    mkdirSync(home, { recursive: true });
    const config = join(home, 'ansible.cfg');
    writeFileSync(config, '[defaults]\n');
    Object.assign(env, {
      HOME: home,
      ANSIBLE_CONFIG: config,
      ANSIBLE_LOCAL_TEMP: join(home, 'local-tmp'),
      ANSIBLE_REMOTE_TEMP: join(home, 'remote-tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(home, 'cp'),
    });
  }
  return env;
}

/** Runs one of the venv's tools (`ansible-inventory`, `ansible-playbook`…) in `cwd` and returns its stdout. */
export async function ansible27(
  tool: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<string> {
  try {
    const { stdout } = await run(join(ansible27Bin, tool), args, {
      cwd: options.cwd,
      env: options.env,
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${(error as Error).message}\n${stderr ?? ''}\n${stdout ?? ''}`, {
      cause: error,
    });
  }
}
