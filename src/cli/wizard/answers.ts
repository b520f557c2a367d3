/**
 * What the quick-start wizard has learnt so far. The files are rendered from these answers alone (render-files.ts),
 * and every question is validated by rendering the answers with its candidate value and running the same checks as
 * `pai-deploy validate` (check-answers.ts).
 */

export interface MachineAnswer {
  hostname: string;
  ip: string;
  role: 'master' | 'worker';
  /** The SKU (machine-type) it gets; undefined until the SKU questions. */
  sku: string | undefined;
}

export interface DeviceAnswer {
  /** The device plugin's resource name, e.g. nvidia.com/gpu. */
  type: string;
  model: string;
  /** A number when the answer was a whole number, else the text as typed (validation then says what is wrong). */
  count: number | string;
}

export interface SkuAnswer {
  name: string;
  mem: string;
  vcores: number | string;
  device: DeviceAnswer | undefined;
}

export interface SshAnswer {
  user: string;
  port: number | string;
  /** ssh_key_file_path as the user wrote it (`~` and relative paths are resolved like config.yaml's). */
  keyFile: string | undefined;
  /** The SSH and sudo password: only ever in memory and in config.yaml (0600). */
  password: string | undefined;
}

export interface RegistryAnswer {
  domain: string;
  namespace: string;
  tag: string;
  username: string | undefined;
  /** The registry password: like the SSH password, only in memory and in config.yaml. */
  password: string | undefined;
}

export interface AdvancedAnswer {
  dockerDataRoot: string | undefined;
  insecureRegistries: string[] | undefined;
  registryMirrors: string[] | undefined;
}

export interface WizardAnswers {
  clusterId: string;
  ssh: SshAnswer;
  machines: MachineAnswer[];
  skus: SkuAnswer[];
  registry: RegistryAnswer;
  networkPlugin: string;
  advanced: AdvancedAnswer;
  /**
   * ansible_python_interpreter for kubespray's Ansible 2.7, when the probe found that /usr/bin/python will not do
   * and a path every machine has will (python-choice.ts); written into openpai_kubespray_extra_var.
   */
  ansiblePython: string | undefined;
}

/** Answers before the first question: every default a question offers, nothing the user has to give. */
export function initialAnswers(): WizardAnswers {
  return {
    clusterId: 'pai',
    ssh: { user: '', port: 22, keyFile: undefined, password: undefined },
    machines: [],
    skus: [],
    registry: { domain: 'docker.io', namespace: 'openpai', tag: 'v1.8.0', username: undefined, password: undefined },
    networkPlugin: 'calico',
    advanced: { dockerDataRoot: undefined, insecureRegistries: undefined, registryMirrors: undefined },
    ansiblePython: undefined,
  };
}

/**
 * A number typed as text becomes a number (as YAML would read it unquoted, so `2.5` is refused as "not a whole
 * number" by the schema); anything else stays text, for validation to name.
 */
export function wholeNumber(text: string): number | string {
  const trimmed = text.trim();
  return /^-?[0-9]+(\.[0-9]+)?$/.test(trimmed) && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/** `a, b c` → ['a', 'b', 'c']; empty text → undefined (the key is left out). */
export function listAnswer(text: string): string[] | undefined {
  const items = text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? undefined : items;
}
