/**
 * What `pai-deploy quick-start` prints when it has neither files nor a terminal to ask on: how to run it from a
 * script, and where each of the wizard's answers goes instead. No imports: the command prints it before loading
 * anything else, and exits 2 at once.
 */
export function scriptedRunHelp(): string {
  return [
    'Without a terminal the wizard cannot ask; give pai-deploy the two files instead:',
    '  pai-deploy config init --dir .        writes a commented layout.yaml and config.yaml to edit',
    '  pai-deploy validate -l layout.yaml -c config.yaml',
    '  pai-deploy quick-start -l layout.yaml -c config.yaml --dry-run      every step, touching nothing',
    '  pai-deploy quick-start -l layout.yaml -c config.yaml --yes',
    'From OpenPAI v1.0 lists: pai-deploy quick-start --master-csv master.csv --worker-csv worker.csv -c config.yaml --yes',
    '  (--worker-mem, --worker-vcores, --worker-device, --worker-device-model, --worker-device-count describe the workers)',
    '',
    "Where the wizard's answers go:",
    '  cluster id                   config.yaml  cluster_id (default pai)',
    '  SSH user and port            config.yaml  user, ssh_port (default 22)',
    '  SSH key or password          config.yaml  ssh_key_file_path, password (keep the file 0600)',
    '  master and workers           layout.yaml  machine-list: hostname, hostip, machine-type, pai-master/pai-worker',
    '  GPUs, CPUs, memory per SKU   layout.yaml  machine-sku.<sku>: computing-device {type, model, count}, cpu.vcore, mem',
    '  registry and release         config.yaml  docker_registry_domain, docker_registry_namespace, docker_image_tag (v1.8.0)',
    '  network plugin               config.yaml  openpai_kube_network_plugin (calico, or weave on Azure)',
    '  advanced docker, registry    config.yaml  docker_data_root, openpai_docker_insecure_registries,',
    '                                            openpai_docker_registry_mirrors, docker_registry_username/password',
    '',
  ].join('\n');
}
