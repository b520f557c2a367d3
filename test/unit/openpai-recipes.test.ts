import { describe, expect, it } from 'vitest';
import type { KubeObject, KubeObjectRef } from '../../src/ports/kube-api.js';
import { serviceCatalog } from '../../src/openpai/service-catalog.js';
import { ClusterCfgError, ServiceFileError } from '../../src/openpai/services/objects/errors.js';
import { isWorkload, refIn, refsOf } from '../../src/openpai/services/objects/manifests.js';
import type { ServiceContext, ServiceRecipe, ServiceStep } from '../../src/openpai/services/recipe.js';
import {
  dashboardCertificateFiles,
  defaultRecipe,
  pylonCertificateFiles,
  recipeFor,
  serviceRecipes,
} from '../../src/openpai/services/recipe-catalog.js';
import { clusterCfg, DEPLOY_FOLDERS, SECRET_VALUES, SERVICE_YAML } from '../fixtures/openpai-recipes/deploy-folders.js';
import { context, doc, memoryFiles, yamlDocs } from '../fixtures/openpai-recipes/files.js';

/** OpenPAI v1.8.0's services: every src/<service>/deploy/service.yaml of the release. */
const V180_SERVICES = [
  'alert-manager',
  'cluster-configuration',
  'database-controller',
  'device-plugin',
  'docker-cache',
  'dshuttle-csi',
  'dshuttle-master',
  'dshuttle-worker',
  'fluentd',
  'frameworkcontroller',
  'grafana',
  'hivedscheduler',
  'internal-storage',
  'job-exporter',
  'k8s-dashboard',
  'log-manager',
  'marketplace-db',
  'marketplace-restserver',
  'marketplace-webportal',
  'node-exporter',
  'openpai-runtime',
  'postgresql',
  'prometheus',
  'pylon',
  'rest-server',
  'storage-manager',
  'watchdog',
  'webportal',
];

const STAGED_CERTS = {
  'https-config/pai.crt': 'CERTIFICATE\n',
  'https-config/pai.key': 'PRIVATE KEY\n',
  'certs/tls.crt': 'CERTIFICATE\n',
  'certs/tls.key': 'PRIVATE KEY\n',
};

/** Every gate open: the cfg under which start creates the most. */
const ALL_ON = clusterCfg({
  cluster: { common: { 'job-history': 'true', dshuttle: 'true', 'k8s-rbac': 'true' } },
  'docker-cache': { enabled: true },
  hivedscheduler: { config: 'physicalCluster: {}\nvirtualClusters: {default: {}, vc1: {}}\n' },
  authentication: { OIDC: true },
  pylon: { ssl: { crt_path: '/root/certs/pai.crt', key_path: '/root/certs/pai.key', crt_name: 'pai.crt' } },
  'alert-manager': {
    'actions-available': ['email-admin'],
    'alert-handler': { configured: true },
    'cluster-utilization': { configured: true },
  },
  'device-plugin': { devices: ['nvidia.com/gpu', 'amd.com/gpu', 'enflame.com/dtu', 'rdma/hca'] },
  layout: {
    'machine-list': {
      'storage-01': { hostname: 'storage-01', 'machine-type': 'master-sku', 'pai-storage': 'true' },
    },
  },
});
/** Every gate closed. */
const ALL_OFF = clusterCfg({ cluster: { common: { 'k8s-rbac': 'false' } } });

const ctxFor = (service: string, cfg = clusterCfg(), extra: Record<string, string> = {}): ServiceContext =>
  context(service, cfg, { ...DEPLOY_FOLDERS[service], ...extra });

const short = (ref: KubeObjectRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** One line per step: what the step does, by kind and object. */
function summary(steps: readonly ServiceStep[]): string[] {
  return steps.map((step) => {
    switch (step.kind) {
      case 'apply-files':
        return `apply-files ${step.paths.join(' ')}`;
      case 'apply':
        return `apply ${step.objects.map((object) => short(refIn(object))).join(', ')}`;
      case 'create-once':
        return `create-once ${short(step.ref)}`;
      case 'wait':
        return `wait ${step.refs?.map(short).join(', ') ?? '(everything applied)'}`;
      case 'delete':
        return `delete ${step.refs.map(short).join(', ')}${step.waitGone ? ' (wait gone)' : ''}`;
      case 'delete-all':
        return `delete-all ${step.kindName}${step.namespace ? ` in ${step.namespace}` : ''}`;
    }
  });
}

const recipe = (name: string): ServiceRecipe => serviceRecipes.get(name)!;
const start = (name: string, cfg = clusterCfg(), extra: Record<string, string> = {}) =>
  summary(recipe(name).start(ctxFor(name, cfg, extra)));
const stop = (name: string, cfg = clusterCfg()) => summary(recipe(name).stop(ctxFor(name, cfg)));
const del = (name: string, cfg = clusterCfg()) => summary(recipe(name).delete(ctxFor(name, cfg)));

/** The objects a start applies, in order (files parsed, built objects, created-once refs). */
function appliedRefs(steps: readonly ServiceStep[], ctx: ServiceContext): KubeObjectRef[] {
  return steps.flatMap((step) => {
    if (step.kind === 'apply-files') return refsOf(ctx, ...step.paths);
    if (step.kind === 'apply') return step.objects.map(refIn);
    if (step.kind === 'create-once') return [step.ref];
    return [];
  });
}

const key = (ref: KubeObjectRef) => `${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;

describe('the recipe catalog', () => {
  it("has one recipe for each of OpenPAI v1.8.0's 28 services, named as the services", () => {
    expect([...serviceRecipes.keys()].sort()).toEqual(V180_SERVICES);
    expect(V180_SERVICES).toHaveLength(28);
    for (const [name, entry] of serviceRecipes) expect(entry.service).toBe(name);
  });

  it("knows every service of pai-deploy's start-order catalog", () => {
    expect(serviceCatalog.map((service) => service.name).sort()).toEqual(V180_SERVICES);
  });

  it('gives the generic recipe for a service it does not know', () => {
    expect(recipeFor('rest-server')).toBe(recipe('rest-server'));
    expect(recipeFor('my-exporter').service).toBe('my-exporter');
  });
});

describe.each(V180_SERVICES)('%s: invariants', (name) => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ['gates open', ALL_ON],
    ['gates closed', ALL_OFF],
    ['defaults', clusterCfg()],
  ];

  it.each(variants)('start waits for every workload it applies, after applying it (%s)', (_label, cfg) => {
    const ctx = ctxFor(name, cfg, STAGED_CERTS);
    const steps = recipe(name).start(ctx);
    const applied = new Set<string>();
    const waited = new Set<string>();
    for (const step of steps) {
      if (step.kind === 'wait') {
        expect(step.refs, 'a wait names its workloads').toBeDefined();
        for (const ref of step.refs!) {
          expect(applied.has(key(ref)), `${short(ref)} waited for after it was applied`).toBe(true);
          expect(isWorkload(ref)).toBe(true);
          waited.add(key(ref));
        }
      } else for (const ref of appliedRefs([step], ctx)) applied.add(key(ref));
    }
    const workloads = appliedRefs(steps, ctx).filter(isWorkload).map(key);
    expect([...waited].sort()).toEqual([...new Set(workloads)].sort());
  });

  it.each(variants)('start, stop and delete never show a secret value (%s)', (_label, cfg) => {
    const ctx = ctxFor(name, cfg, STAGED_CERTS);
    const text = JSON.stringify([
      recipe(name).start(ctx),
      recipe(name).stop(ctx),
      recipe(name).delete(ctx),
      recipe(name).skipReason?.(ctx),
    ]);
    for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
  });

  it('stop deletes what start created in the reverse order, and only deletes', () => {
    const ctx = ctxFor(name, ALL_ON, STAGED_CERTS);
    const created = appliedRefs(recipe(name).start(ctx), ctx).map(key);
    const stopSteps = recipe(name).stop(ctx);
    expect(stopSteps.every((step) => step.kind === 'delete')).toBe(true);
    const deleted = stopSteps.flatMap((step) => (step.kind === 'delete' ? step.refs.map(key) : []));
    const createdAndDeleted = [...new Set(created)].filter((ref) => deleted.includes(ref));
    expect(deleted.filter((ref) => created.includes(ref))).toEqual(createdAndDeleted.reverse());
  });

  it('delete begins with stop (or is stop) and waits for workloads it deletes to be gone', () => {
    const ctx = ctxFor(name, ALL_ON, STAGED_CERTS);
    const stopLines = summary(recipe(name).stop(ctx));
    const deleteSteps = recipe(name).delete(ctx);
    const deleteLines = summary(deleteSteps);
    // frameworkcontroller deletes the jobs while its controller still runs, then stops
    const at = name === 'frameworkcontroller' ? deleteLines.length - stopLines.length : 0;
    expect(deleteLines.slice(at, at + stopLines.length)).toEqual(stopLines);
    for (const step of deleteSteps)
      if (step.kind === 'delete' && step.refs.some(isWorkload)) expect(step.waitGone).toBe(true);
  });
});

describe('cluster-configuration', () => {
  it('starts as start.sh did: ConfigMaps, the job key once, the registry secret twice, the priority class, the namespace', () => {
    expect(start('cluster-configuration')).toEqual([
      'apply ConfigMap default/host-configuration, ConfigMap default/docker-credentials, ConfigMap default/gpu-configuration',
      'apply ConfigMap default/pai-version, ConfigMap default/k8s-version',
      'create-once Secret default/job-ssh-secret',
      'apply Secret default/pai-secret, Secret kube-system/pai-secret',
      'apply PriorityClass pai-daemon-priority',
      'create-once Namespace pai-storage',
    ]);
  });

  it('the ConfigMaps come from the rendered folders, without the template sources', () => {
    const steps = recipe('cluster-configuration').start(ctxFor('cluster-configuration'));
    const first = steps[0] as Extract<ServiceStep, { kind: 'apply' }>;
    expect(first.objects.map((object) => Object.keys(object['data'] as object))).toEqual([
      ['host-configuration.yaml'],
      ['config.json'],
      ['gpu-configuration.json', 'gpu-configuration.yml'],
    ]);
  });

  it('builds the job SSH key only when the deployer asks (the secret is missing), a new one each time', () => {
    const steps = recipe('cluster-configuration').start(ctxFor('cluster-configuration'));
    const once = steps.find((step) => step.kind === 'create-once' && step.ref.name === 'job-ssh-secret');
    expect(once?.kind).toBe('create-once');
    if (once?.kind !== 'create-once') return;
    const secret = once.make();
    expect(refIn(secret)).toEqual(once.ref);
    expect(Object.keys(secret['data'] as object)).toEqual(['ssh-privatekey', 'ssh-publickey']);
    expect(once.what).not.toMatch(/BEGIN|ssh-rsa AAAA/);
  });

  it('the registry secret holds the login without docker login; its description does not', () => {
    const steps = recipe('cluster-configuration').start(ctxFor('cluster-configuration'));
    const registry = steps[3] as Extract<ServiceStep, { kind: 'apply' }>;
    expect(registry.what).toBe(
      'Secret pai-secret (image pull secret, a login for https://index.docker.io/v1/) in default and kube-system',
    );
    const data = registry.objects[0]!['data'] as Record<string, string>;
    const config = JSON.parse(Buffer.from(data['.dockerconfigjson']!, 'base64').toString()) as {
      auths: Record<string, { username: string }>;
    };
    expect(config.auths['https://index.docker.io/v1/']?.username).toBe('pai-bot');
  });

  it('stops in the reverse order and keeps job-ssh-secret; delete removes it and the namespace', () => {
    expect(stop('cluster-configuration')).toEqual([
      'delete PriorityClass pai-daemon-priority, Secret kube-system/pai-secret, Secret default/pai-secret, ConfigMap default/k8s-version, ConfigMap default/pai-version, ConfigMap default/gpu-configuration, ConfigMap default/docker-credentials, ConfigMap default/host-configuration',
    ]);
    expect(del('cluster-configuration')).toEqual([
      ...stop('cluster-configuration'),
      'delete Secret default/job-ssh-secret',
      'delete Namespace pai-storage (wait gone)',
    ]);
  });

  it('names the missing registry key', () => {
    const cfg = clusterCfg({ cluster: { 'docker-registry': { 'secret-name': undefined } } });
    expect(() => recipe('cluster-configuration').start(ctxFor('cluster-configuration', cfg))).toThrow(
      /cluster_cfg cluster\.docker-registry\.secret-name is missing/,
    );
  });
});

describe('gated services', () => {
  it.each([
    ['docker-cache', clusterCfg({ 'docker-cache': { enabled: true } }), /docker-cache\.enabled/],
    ['fluentd', clusterCfg({ cluster: { common: { 'job-history': 'true' } } }), /job-history/],
    ['dshuttle-master', clusterCfg({ cluster: { common: { dshuttle: 'true' } } }), /dshuttle/],
    ['dshuttle-worker', clusterCfg({ cluster: { common: { dshuttle: 'true' } } }), /dshuttle/],
    ['dshuttle-csi', clusterCfg({ cluster: { common: { dshuttle: 'true' } } }), /dshuttle/],
    ['hivedscheduler', ALL_ON, /hivedscheduler\.config/],
    ['storage-manager', ALL_ON, /pai-storage/],
    ['k8s-dashboard', clusterCfg(), /k8s-rbac/],
  ])('%s: skipped with a reason and no steps when closed, started when open', (name, open, reason) => {
    const closed = name === 'k8s-dashboard' ? ALL_OFF : clusterCfg();
    expect(recipe(name).skipReason?.(ctxFor(name, closed))).toMatch(reason);
    expect(start(name, closed)).toEqual([]);
    expect(recipe(name).skipReason?.(ctxFor(name, open))).toBeUndefined();
    expect(start(name, open, STAGED_CERTS).length).toBeGreaterThan(0);
  });

  it('stop follows the gating of each stop.sh: gated for fluentd, dshuttle, hived, k8s-dashboard; not for docker-cache, storage-manager', () => {
    for (const name of ['fluentd', 'dshuttle-master', 'dshuttle-worker', 'dshuttle-csi', 'hivedscheduler'])
      expect(stop(name), name).toEqual([]);
    expect(stop('k8s-dashboard', ALL_OFF)).toEqual([]);
    expect(stop('docker-cache')).toEqual([
      'delete Service default/docker-registry-cache-service',
      'delete Deployment default/docker-registry-cache (wait gone)',
      'delete Secret default/registry-htpasswd, ConfigMap default/registry-config',
    ]);
    expect(stop('storage-manager')).toEqual([
      'delete DaemonSet default/storage-manager-ds (wait gone)',
      'delete ConfigMap default/storage-configuration',
    ]);
  });

  it('services that are never gated have no skipReason', () => {
    for (const name of ['cluster-configuration', 'rest-server', 'marketplace-db', 'device-plugin', 'prometheus'])
      expect(recipe(name).skipReason?.(ctxFor(name))).toBeUndefined();
  });

  it('the marketplace services start whatever cluster.common.marketplace says, as v1.8.0 did', () => {
    const off = clusterCfg({ cluster: { common: { marketplace: 'false' } } });
    expect(start('marketplace-db', off)).toEqual([
      'apply-files marketplace-db.yaml',
      'wait DaemonSet default/marketplace-db-ds',
    ]);
  });
});

describe('simple services: apply, wait, delete', () => {
  it.each([
    ['job-exporter', 'job-exporter.yaml', 'DaemonSet default/job-exporter'],
    ['log-manager', 'log-manager.yaml', 'DaemonSet default/log-manager-ds'],
    ['node-exporter', 'node-exporter.yaml', 'DaemonSet default/node-exporter'],
    ['marketplace-restserver', 'marketplace-restserver.yaml', 'DaemonSet default/marketplace-restserver-ds'],
    ['marketplace-webportal', 'marketplace-webportal.yaml', 'DaemonSet default/marketplace-webportal-ds'],
    ['postgresql', 'postgresql.yaml', 'DaemonSet default/postgresql-ds'],
    ['webportal', 'webportal.yaml', 'DaemonSet default/webportal-ds'],
  ])('%s', (name, file, workload) => {
    expect(start(name)).toEqual([`apply-files ${file}`, `wait ${workload}`]);
    expect(stop(name)).toEqual([`delete ${workload} (wait gone)`]);
    expect(del(name)).toEqual(stop(name));
  });

  it('watchdog: rbac then the Deployment; stop also deletes the ClusterRole stop.sh misnamed', () => {
    expect(start('watchdog')).toEqual([
      'apply-files rbac.yaml',
      'apply-files watchdog.yaml',
      'wait Deployment default/watchdog',
    ]);
    expect(stop('watchdog')).toEqual([
      'delete Deployment default/watchdog (wait gone)',
      'delete ClusterRoleBinding watchdog-role-binding, ClusterRole watchdog-role, ServiceAccount default/watchdog-account',
    ]);
  });

  it('database-controller', () => {
    expect(start('database-controller')).toEqual([
      'apply-files rbac.yaml',
      'apply-files database-controller.yaml',
      'wait StatefulSet default/database-controller-sts',
    ]);
    expect(del('database-controller')).toEqual([
      'delete StatefulSet default/database-controller-sts (wait gone)',
      'delete ClusterRoleBinding database-controller-role-binding, ServiceAccount default/database-controller-account',
    ]);
  });
});

describe('alert-manager', () => {
  it('without the alert handler: rbac, ConfigMap, Deployment, the cert-expiration CronJob; waits for the Deployment', () => {
    expect(start('alert-manager')).toEqual([
      'apply-files rbac.yaml',
      'apply-files alert-manager-configmap.yaml',
      'apply-files alert-manager-deployment.yaml',
      'apply-files alert-manager-cert-expiration-check-cronjob.yaml',
      'wait Deployment default/alertmanager',
    ]);
  });

  it('with email configured: the alert-templates ConfigMap first (folders with both files), and the utilization CronJob', () => {
    const steps = recipe('alert-manager').start(ctxFor('alert-manager', ALL_ON));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/alert-templates',
      'apply-files rbac.yaml',
      'apply-files alert-manager-configmap.yaml',
      'apply-files alert-manager-deployment.yaml',
      'apply-files alert-manager-cert-expiration-check-cronjob.yaml',
      'apply-files alert-manager-cronjob.yaml',
      'wait Deployment default/alertmanager',
    ]);
    const templates = (steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!;
    expect(templates['data']).toEqual({
      'general-templates-html.ejs': '<p>general</p>\n',
      'general-templates-subject.ejs': 'general\n',
      'job-status-change-html.ejs': '<p>job</p>\n',
      'job-status-change-subject.ejs': 'job\n',
    });
  });

  it('templates listed by the object model are taken as listed', () => {
    const cfg = clusterCfg({
      'alert-manager': {
        'actions-available': ['email-admin'],
        'alert-handler': { configured: true, 'email-configs': { templates: ['job-status-change'] } },
      },
    });
    const steps = recipe('alert-manager').start(ctxFor('alert-manager', cfg));
    expect(Object.keys((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data'] as object)).toEqual([
      'job-status-change-html.ejs',
      'job-status-change-subject.ejs',
    ]);
  });

  it('stop deletes both CronJobs whether configured or not, and the real ConfigMap name', () => {
    expect(stop('alert-manager')).toEqual([
      'delete CronJob default/cluster-utilization, CronJob default/cert-expiration-checker',
      'delete Deployment default/alertmanager (wait gone)',
      'delete ConfigMap default/alertmanager-configmap, ClusterRoleBinding alert-manager-role-binding, ClusterRole alert-manager-role, ServiceAccount default/alert-manager-account, ConfigMap default/alert-templates',
    ]);
  });
});

describe('device-plugin', () => {
  const devices = (list: string[], workers: Record<string, unknown> = {}) =>
    clusterCfg({ 'device-plugin': { devices: list }, layout: { 'machine-list': workers } });

  it('NVIDIA only (the default), then the tree host-device plugin; waits for both DaemonSets', () => {
    expect(start('device-plugin')).toEqual([
      'apply DaemonSet kube-system/nvidia-device-plugin-daemonset',
      'apply-files device-plugin.yaml',
      'wait DaemonSet kube-system/nvidia-device-plugin-daemonset, DaemonSet kube-system/k8s-host-device-plugin-daemonset',
    ]);
  });

  it("every type in OpenPAI's order, RDMA after the host-device plugin", () => {
    expect(start('device-plugin', ALL_ON)).toEqual([
      'apply DaemonSet kube-system/nvidia-device-plugin-daemonset',
      'apply DaemonSet kube-system/amdgpu-device-plugin-daemonset',
      'apply DaemonSet kube-system/enflame-device-plugin-daemonset',
      'apply-files device-plugin.yaml',
      'apply ConfigMap kube-system/rdma-devices, DaemonSet kube-system/rdma-sriov-dp-ds',
      'wait DaemonSet kube-system/nvidia-device-plugin-daemonset, DaemonSet kube-system/amdgpu-device-plugin-daemonset, DaemonSet kube-system/enflame-device-plugin-daemonset, DaemonSet kube-system/k8s-host-device-plugin-daemonset, DaemonSet kube-system/rdma-sriov-dp-ds',
    ]);
  });

  it("the workers' sku types join the configured list; nothing for an empty list on CPU workers", () => {
    const amdWorker = {
      'amd-01': { hostname: 'amd-01', 'machine-type': 'amd-sku', 'pai-worker': 'true' },
    };
    const cfg = devices([], amdWorker);
    (cfg['layout'] as { 'machine-sku': Record<string, unknown> })['machine-sku']['amd-sku'] = {
      'computing-device': { type: 'amd.com/gpu', count: 8 },
    };
    // gpu-01 (nvidia sku) is a worker in the base layout, so both types come from the layout
    expect(start('device-plugin', cfg).slice(0, 3)).toEqual([
      'apply DaemonSet kube-system/nvidia-device-plugin-daemonset',
      'apply DaemonSet kube-system/amdgpu-device-plugin-daemonset',
      'apply-files device-plugin.yaml',
    ]);
    const cpuOnly = clusterCfg({ 'device-plugin': { devices: [] } });
    (cpuOnly['layout'] as { 'machine-list': Record<string, unknown> })['machine-list'] = {
      'cpu-01': { hostname: 'cpu-01', 'machine-type': 'master-sku', 'pai-worker': 'true', 'pai-master': 'true' },
    };
    expect(start('device-plugin', cpuOnly)).toEqual([
      'apply-files device-plugin.yaml',
      'wait DaemonSet kube-system/k8s-host-device-plugin-daemonset',
    ]);
  });

  it('the manifests applied are the shipped ones, images unprefixed', () => {
    const steps = recipe('device-plugin').start(ctxFor('device-plugin'));
    const ds = (steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0] as KubeObject;
    const image = (ds['spec'] as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
      .containers[0]!.image;
    expect(image).toBe('nvidia/k8s-device-plugin:1.0.0-beta4');
  });

  it('stop keeps the plugins (stop.sh was empty); delete removes every shipped plugin and the host-device one, last first', () => {
    expect(stop('device-plugin')).toEqual([]);
    expect(del('device-plugin')).toEqual([
      'delete DaemonSet kube-system/rdma-sriov-dp-ds (wait gone)',
      'delete ConfigMap kube-system/rdma-devices',
      'delete DaemonSet kube-system/k8s-host-device-plugin-daemonset (wait gone)',
      'delete ConfigMap kube-system/host-devices',
      'delete DaemonSet kube-system/enflame-device-plugin-daemonset, DaemonSet kube-system/amdgpu-device-plugin-daemonset, DaemonSet kube-system/nvidia-device-plugin-daemonset (wait gone)',
    ]);
  });
});

describe('frameworkcontroller', () => {
  it('starts ConfigMap, RBAC, StatefulSet and waits for it', () => {
    expect(start('frameworkcontroller')).toEqual([
      'apply-files frameworkcontroller-config.yaml',
      'apply-files rbac.yaml',
      'apply-files frameworkcontroller.yaml',
      'wait StatefulSet default/frameworkcontroller-sts',
    ]);
  });

  it('stop keeps the CRD and the jobs; delete removes the Frameworks while the controller runs, then the CRD, then stops', () => {
    expect(stop('frameworkcontroller')).toEqual([
      'delete StatefulSet default/frameworkcontroller-sts (wait gone)',
      'delete ClusterRoleBinding frameworkcontroller-role-binding, ServiceAccount default/frameworkcontroller-account, ConfigMap default/frameworkcontroller-config',
    ]);
    expect(del('frameworkcontroller')).toEqual([
      'delete-all Framework',
      'delete CustomResourceDefinition frameworks.frameworkcontroller.microsoft.com (wait gone)',
      ...stop('frameworkcontroller'),
    ]);
  });
});

describe('data clean-ups of delete', () => {
  it('internal-storage: stop, then the clean-up DaemonSet applied, waited for and deleted', () => {
    expect(start('internal-storage')).toEqual([
      'apply-files create.yaml',
      'wait DaemonSet default/internal-storage-create-ds',
    ]);
    expect(del('internal-storage')).toEqual([
      'delete DaemonSet default/internal-storage-create-ds (wait gone)',
      'apply-files delete.yaml',
      'wait DaemonSet default/internal-storage-delete-ds',
      'delete DaemonSet default/internal-storage-delete-ds (wait gone)',
    ]);
  });

  it('prometheus: rule ConfigMaps from the folders (rendered rules, no template), and the clean-up job on delete', () => {
    const steps = recipe('prometheus').start(ctxFor('prometheus'));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/prometheus-alert',
      'apply ConfigMap default/prometheus-record',
      'apply-files prometheus-configmap.yaml',
      'apply-files rbac.yaml',
      'apply-files prometheus-deployment.yaml',
      'wait Deployment default/prometheus-deployment',
    ]);
    expect(Object.keys((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data'] as object)).toEqual([
      'customized.rules',
      'gpu.rules',
    ]);
    expect(stop('prometheus')).toEqual([
      'delete Deployment default/prometheus-deployment (wait gone)',
      'delete ClusterRoleBinding prometheus-role-binding, ServiceAccount default/prometheus-account, ConfigMap default/prometheus-configmap, ConfigMap default/prometheus-record, ConfigMap default/prometheus-alert',
    ]);
    expect(del('prometheus')).toEqual([
      ...stop('prometheus'),
      'apply ConfigMap default/prometheus-delete',
      'apply-files delete.yaml',
      'wait DaemonSet default/delete-batch-job-prometheus',
      'delete DaemonSet default/delete-batch-job-prometheus (wait gone)',
      'delete ConfigMap default/prometheus-delete',
    ]);
  });

  it('dshuttle-master and -worker: their clean-up only when dshuttle is on (delete.sh ran it regardless)', () => {
    const on = clusterCfg({ cluster: { common: { dshuttle: 'true' } } });
    expect(del('dshuttle-master', clusterCfg())).toEqual([]);
    expect(del('dshuttle-worker', clusterCfg())).toEqual([]);
    expect(del('dshuttle-master', on)).toEqual([
      'delete StatefulSet default/dshuttle-master (wait gone)',
      'delete Service default/dshuttle-service, ConfigMap default/dshuttle-config, Secret default/dshuttle-regcred, ConfigMap default/dshuttle-log-config',
      'apply ConfigMap default/dshuttle-master-delete',
      'apply-files delete.yaml',
      'wait DaemonSet default/delete-batch-job-dshuttle-master',
      'delete DaemonSet default/delete-batch-job-dshuttle-master (wait gone)',
      'delete ConfigMap default/dshuttle-master-delete',
    ]);
    expect(del('dshuttle-worker', on)).toEqual([
      'delete DaemonSet default/dshuttle-worker (wait gone)',
      'apply ConfigMap default/dshuttle-worker-delete',
      'apply-files delete.yaml',
      'wait DaemonSet default/delete-batch-job-dshuttle-worker',
      'delete DaemonSet default/delete-batch-job-dshuttle-worker (wait gone)',
      'delete ConfigMap default/dshuttle-worker-delete',
    ]);
  });
});

describe('dshuttle', () => {
  const on = clusterCfg({ cluster: { common: { dshuttle: 'true' } } });

  it('master: log config, pull secret for dshuttle.azurecr.io, config, service, StatefulSet', () => {
    const steps = recipe('dshuttle-master').start(ctxFor('dshuttle-master', on));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/dshuttle-log-config',
      'apply Secret default/dshuttle-regcred',
      'apply-files dshuttle-config.yaml',
      'apply-files dshuttle-service.yaml',
      'apply-files dshuttle-master.yaml',
      'wait StatefulSet default/dshuttle-master',
    ]);
    const secret = (steps[1] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!;
    expect(secret['type']).toBe('kubernetes.io/dockerconfigjson');
    const json = Buffer.from((secret['data'] as Record<string, string>)['.dockerconfigjson']!, 'base64').toString();
    expect(Object.keys((JSON.parse(json) as { auths: object }).auths)).toEqual(['dshuttle.azurecr.io']);
  });

  it('master without its registry login names the key', () => {
    const cfg = clusterCfg({ cluster: { common: { dshuttle: 'true' } }, dshuttle: { registry_password: undefined } });
    expect(() => recipe('dshuttle-master').start(ctxFor('dshuttle-master', cfg))).toThrow(ClusterCfgError);
    expect(() => recipe('dshuttle-master').start(ctxFor('dshuttle-master', cfg))).toThrow(
      /dshuttle\.registry_password is missing/,
    );
  });

  it('worker and csi', () => {
    expect(start('dshuttle-worker', on)).toEqual([
      'apply-files dshuttle-worker.yaml',
      'wait DaemonSet default/dshuttle-worker',
    ]);
    expect(start('dshuttle-csi', on)).toEqual([
      'apply-files dshuttle-csi-driver.yaml',
      'apply-files dshuttle-csi-daemon.yaml',
      'wait DaemonSet default/dshuttle-csi-daemon',
    ]);
    expect(stop('dshuttle-csi', on)).toEqual([
      'delete DaemonSet default/dshuttle-csi-daemon (wait gone)',
      'delete CSIDriver dshuttle',
    ]);
  });
});

describe('fluentd and hivedscheduler', () => {
  it('fluentd with job history', () => {
    const on = clusterCfg({ cluster: { common: { 'job-history': 'true' } } });
    expect(start('fluentd', on)).toEqual([
      'apply-files fluentd-config.yaml',
      'apply-files fluentd.yaml',
      'wait DaemonSet default/fluentd-ds',
    ]);
    expect(stop('fluentd', on)).toEqual([
      'delete DaemonSet default/fluentd-ds (wait gone)',
      'delete ConfigMap default/fluentd-config',
    ]);
  });

  it('hivedscheduler waits for its per-VC schedulers too', () => {
    expect(start('hivedscheduler', ALL_ON)).toEqual([
      'apply-files hivedscheduler-config.yaml',
      'apply-files rbac.yaml',
      'apply-files hivedscheduler-service.yaml',
      'apply-files hivedscheduler.yaml',
      'wait StatefulSet default/hivedscheduler-hs, StatefulSet default/hivedscheduler-ds-default, StatefulSet default/hivedscheduler-ds-vc1',
    ]);
    expect(stop('hivedscheduler', ALL_ON)).toEqual([
      'delete StatefulSet default/hivedscheduler-ds-vc1, StatefulSet default/hivedscheduler-ds-default, StatefulSet default/hivedscheduler-hs (wait gone)',
      'delete Service default/hivedscheduler-service, ClusterRoleBinding hivedscheduler-role-binding, ServiceAccount default/hivedscheduler-account, ConfigMap default/hivedscheduler-config',
    ]);
  });
});

describe('grafana', () => {
  it('minified dashboards from the rendered JSON files only', () => {
    const steps = recipe('grafana').start(ctxFor('grafana'));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/grafana-configuration',
      'apply-files grafana.yaml',
      'wait Deployment default/grafana',
    ]);
    expect((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data']).toEqual({
      'pai-clusterview-dashboard.json': '{"title":"Cluster \\u2713","panels":[1,2]}',
      'prom-datasource.json': '{"name":"PM","type":"prometheus"}',
    });
    expect(stop('grafana')).toEqual([
      'delete Deployment default/grafana (wait gone)',
      'delete ConfigMap default/grafana-configuration',
    ]);
  });

  it('a dashboard that is not JSON is named', () => {
    const extra = { 'grafana-configuration/broken.json': '{"title": ' };
    expect(() => recipe('grafana').start(ctxFor('grafana', clusterCfg(), extra))).toThrow(
      /grafana: deploy\/grafana-configuration\/broken\.json: is not JSON/,
    );
  });
});

describe('pylon and k8s-dashboard', () => {
  const ssl = clusterCfg({ pylon: { ssl: { crt_path: '/root/certs/pai.crt', key_path: '/root/certs/pai.key' } } });

  it('pylon without ssl: pylon-config (runtime templates kept, paictl template dropped), the DaemonSet', () => {
    const steps = recipe('pylon').start(ctxFor('pylon'));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/pylon-config',
      'apply-files pylon.yaml',
      'wait DaemonSet default/pylon-ds',
    ]);
    expect(Object.keys((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data'] as object)).toEqual([
      'location.conf.template',
      'nginx.conf.template',
      'render.py',
      'run.sh',
    ]);
  });

  it("pylon's nginx templates come from the service folder when the deploy folder leaves templates out", () => {
    const deploy = Object.fromEntries(
      Object.entries(DEPLOY_FOLDERS['pylon']!).filter(([path]) => !path.endsWith('.template')),
    );
    const ctx: ServiceContext = {
      service: 'pylon',
      cfg: clusterCfg(),
      files: memoryFiles(deploy, {
        'deploy/pylon-config/nginx.conf.template': 'nginx from the tree',
        'deploy/pylon-config/location.conf.template': 'location from the tree',
      }),
    };
    const steps = recipe('pylon').start(ctx);
    const data = (steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data'] as Record<string, string>;
    expect(data['nginx.conf.template']).toBe('nginx from the tree');
    const none: ServiceContext = { ...ctx, files: memoryFiles(deploy) };
    expect(() => recipe('pylon').start(none)).toThrow(/pylon-config\/nginx\.conf\.template: is missing/);
  });

  it('pylon with ssl: https-config from the staged certificate files, named as their sources', () => {
    const steps = recipe('pylon').start(ctxFor('pylon', ssl, STAGED_CERTS));
    expect(summary(steps)[0]).toBe('apply ConfigMap default/https-config');
    expect((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data']).toEqual({
      'pai.crt': 'CERTIFICATE\n',
      'pai.key': 'PRIVATE KEY\n',
    });
    expect(pylonCertificateFiles({ crtPath: '/root/certs/pai.crt', keyPath: '/root/certs/pai.key' })).toEqual([
      { source: '/root/certs/pai.crt', path: 'https-config/pai.crt' },
      { source: '/root/certs/pai.key', path: 'https-config/pai.key' },
    ]);
    expect(() => recipe('pylon').start(ctxFor('pylon', ssl))).toThrow(ServiceFileError);
    expect(() => recipe('pylon').start(ctxFor('pylon', ssl))).toThrow(/https-config\/pai\.crt: is missing/);
    expect(stop('pylon')).toEqual([
      'delete DaemonSet default/pylon-ds (wait gone)',
      'delete ConfigMap default/pylon-config, ConfigMap default/https-config',
    ]);
  });

  it('k8s-dashboard: the certs secret (empty without ssl, tls.crt/tls.key with it), RBAC, the Deployment, now waited for', () => {
    const steps = recipe('k8s-dashboard').start(ctxFor('k8s-dashboard'));
    expect(summary(steps)).toEqual([
      'apply Secret kube-system/kubernetes-dashboard-certs-openpai',
      'apply-files rbac.yaml',
      'apply-files k8s-dashboard.yaml',
      'wait Deployment kube-system/kubernetes-dashboard-openpai',
    ]);
    expect((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data']).toEqual({});
    const withSsl = recipe('k8s-dashboard').start(ctxFor('k8s-dashboard', ssl, STAGED_CERTS));
    const certs = (withSsl[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!;
    expect(Object.keys(certs['data'] as object)).toEqual(['tls.crt', 'tls.key']);
    expect(dashboardCertificateFiles({ crtPath: '/a/x.pem', keyPath: '/a/y.pem' }).map((f) => f.path)).toEqual([
      'certs/tls.crt',
      'certs/tls.key',
    ]);
    expect(stop('k8s-dashboard')).toEqual([
      'delete Deployment kube-system/kubernetes-dashboard-openpai (wait gone)',
      'delete RoleBinding kube-system/kubernetes-dashboard-minimal-openpai, Role kube-system/kubernetes-dashboard-minimal-openpai, ServiceAccount kube-system/kubernetes-dashboard-openpai, Secret kube-system/kubernetes-dashboard-certs-openpai',
    ]);
  });
});

describe('rest-server', () => {
  it('fresh cluster: ConfigMaps, pai-storage and its placeholder secrets once, the user namespaces once, RBAC, priority, the DaemonSet', () => {
    expect(start('rest-server')).toEqual([
      'apply ConfigMap default/group-configuration',
      'apply ConfigMap default/k8s-job-exit-spec-configuration',
      'create-once Namespace pai-storage',
      'create-once Secret pai-storage/storage-config',
      'create-once Secret pai-storage/storage-server',
      'create-once Namespace pai-user-v2',
      'create-once Namespace pai-group',
      'apply-files rbac.yaml',
      'apply PriorityClass pai-job-minimal-priority',
      'apply-files rest-server.yaml',
      'wait DaemonSet default/rest-server-ds',
    ]);
  });

  it('OIDC adds auth-configuration; k8s-rbac false leaves rbac.yaml out', () => {
    const cfg = clusterCfg({ authentication: { OIDC: true }, cluster: { common: { 'k8s-rbac': 'false' } } });
    const lines = start('rest-server', cfg);
    expect(lines[0]).toBe('apply ConfigMap default/auth-configuration');
    expect(lines).not.toContain('apply-files rbac.yaml');
  });

  it('the storage placeholders are what secret-create.sh wrote', () => {
    const steps = recipe('rest-server').start(ctxFor('rest-server'));
    const made = steps.flatMap((step) =>
      step.kind === 'create-once' && step.ref.kind === 'Secret' ? [step.make()] : [],
    );
    expect(
      made.map((secret) => [
        secret.metadata.name,
        Buffer.from((secret['data'] as Record<string, string>)['empty']!, 'base64').toString(),
      ]),
    ).toEqual([
      ['storage-config', '{"name":"empty","default":false}'],
      ['storage-server', '{"spn":"empty","type":"other"}'],
    ]);
  });

  it('stop keeps the priority class and namespaces; delete removes them (and the users, groups, tokens in them)', () => {
    const stopLines = [
      'delete DaemonSet default/rest-server-ds (wait gone)',
      'delete ClusterRoleBinding rest-server-role-binding, ClusterRole rest-server-role, ServiceAccount default/rest-server-account, ConfigMap default/job-exit-spec-configuration, ConfigMap default/k8s-job-exit-spec-configuration, ConfigMap default/group-configuration, ConfigMap default/auth-configuration',
    ];
    expect(stop('rest-server')).toEqual(stopLines);
    expect(del('rest-server')).toEqual([
      ...stopLines,
      'delete PriorityClass pai-job-minimal-priority',
      'delete Namespace pai-user, Namespace pai-user-v2, Namespace pai-group, Namespace pai-storage, Namespace pai-user-token (wait gone)',
    ]);
  });
});

describe('openpai-runtime and storage-manager', () => {
  it('openpai-runtime: RBAC and the exit spec, nothing to wait for; stop keeps them, delete removes them', () => {
    const steps = recipe('openpai-runtime').start(ctxFor('openpai-runtime'));
    expect(summary(steps)).toEqual([
      'apply-files rbac.yaml',
      'apply ConfigMap default/runtime-exit-spec-configuration',
    ]);
    expect((steps[1] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data']).toEqual({
      'runtime-exit-spec.yaml': 'schema: exit-spec\n',
    });
    expect(stop('openpai-runtime')).toEqual([]);
    expect(del('openpai-runtime')).toEqual([
      'delete ConfigMap default/runtime-exit-spec-configuration, RoleBinding default/runtime-storage-role-binding, ClusterRoleBinding runtime-framework-role-binding, Role default/runtime-storage-role, ClusterRole runtime-framework-role, ServiceAccount default/runtime-account',
    ]);
  });

  it('storage-manager on a storage machine: configuration from conf/ (rendered, no templates), the DaemonSet', () => {
    const steps = recipe('storage-manager').start(ctxFor('storage-manager', ALL_ON));
    expect(summary(steps)).toEqual([
      'apply ConfigMap default/storage-configuration',
      'apply-files storage-manager.yaml',
      'wait DaemonSet default/storage-manager-ds',
    ]);
    expect(Object.keys((steps[0] as Extract<ServiceStep, { kind: 'apply' }>).objects[0]!['data'] as object)).toEqual([
      'exports',
      'krb5.conf',
      'nsswitch.conf',
      'smb.conf',
    ]);
  });
});

describe('the generic recipe for an unknown service', () => {
  const files = {
    'service.yaml': SERVICE_YAML(['my-config.yaml', 'start.sh', 'my-exporter.yaml', 'delete.yaml', 'conf/app.yml']),
    'my-config.yaml': doc('v1', 'ConfigMap', 'my-config'),
    'my-exporter.yaml': yamlDocs(
      doc('v1', 'ServiceAccount', 'my-account'),
      doc('apps/v1', 'DaemonSet', 'my-exporter-ds'),
      doc('apps/v1', 'Deployment', 'my-api', '  namespace: monitoring\n'),
    ),
    'delete.yaml': doc('apps/v1', 'DaemonSet', 'my-cleaner'),
    'conf/app.yml': doc('v1', 'ConfigMap', 'my-app'),
    'rbac.yaml': doc('rbac.authorization.k8s.io/v1', 'ClusterRole', 'not-in-template-list'),
  };
  const ctx = context('my-exporter', clusterCfg(), files);
  const generic = defaultRecipe('my-exporter');

  it("applies the template-list's manifests in order (not delete ones, not scripts), waits for their workloads", () => {
    expect(summary(generic.start(ctx))).toEqual([
      'apply-files my-config.yaml',
      'apply-files my-exporter.yaml',
      'apply-files conf/app.yml',
      'wait DaemonSet default/my-exporter-ds, Deployment monitoring/my-api',
    ]);
  });

  it('stop and delete remove those objects in the reverse order', () => {
    const expected = [
      'delete ConfigMap default/my-app',
      'delete Deployment monitoring/my-api, DaemonSet default/my-exporter-ds (wait gone)',
      'delete ServiceAccount default/my-account, ConfigMap default/my-config',
    ];
    expect(summary(generic.stop(ctx))).toEqual(expected);
    expect(summary(generic.delete(ctx))).toEqual(expected);
  });

  it('a service without service.yaml, or with a broken one, is named', () => {
    expect(() => generic.start(context('my-exporter', {}, {}))).toThrow(/deploy\/service\.yaml: is missing/);
    expect(() => generic.start(context('my-exporter', {}, { 'service.yaml': 'template-list: nope' }))).toThrow(
      /template-list must be a list/,
    );
    expect(summary(generic.start(context('my-exporter', {}, { 'service.yaml': 'cluster-type: [k8s]\n' })))).toEqual([]);
  });
});

describe('errors', () => {
  it('a rendered manifest missing from the deploy folder is named with its service', () => {
    const ctx: ServiceContext = { service: 'webportal', cfg: clusterCfg(), files: memoryFiles({}) };
    expect(() => recipe('webportal').start(ctx)).toThrow(/service webportal: deploy\/webportal\.yaml: is missing/);
  });
});
