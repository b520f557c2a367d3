/**
 * device-plugin (OpenPAI v1.8.0 src/device-plugin/deploy/): the Kubernetes device plugins that make a node's
 * accelerators allocatable (`nvidia.com/gpu`, …). start.sh applied, for each type in `device-plugin.devices` (the
 * configured list, `nvidia.com/gpu` by default, plus the workers' sku types), the vendor's manifest fetched with
 * `svn cat` from GitHub: NVIDIA's 1.0.0-beta4, AMD's, Enflame's; then device-plugin.yaml from the tree (ConfigMap
 * host-devices and DaemonSet k8s-host-device-plugin-daemonset: /dev/fuse for jobs that mount FUSE file systems);
 * then, for `rdma/hca`, Mellanox's node configuration and plugin. All in kube-system. It waited for none of them;
 * the recipe waits for every DaemonSet, since hivedscheduler (which starts after this service) and jobs need the
 * devices registered.
 *
 * GitHub no longer serves svn, so OpenPAI's start.sh fails today; pai-deploy applies its own manifests of the same
 * plugins (device-plugins/, objects/device-plugins.ts). The images keep the vendors' names: OpenPAI did not put
 * them behind the cluster's registry prefix.
 *
 * stop.sh was empty: the plugins are node infrastructure and keep serving while OpenPAI's services are stopped.
 * delete.sh deleted the plugins of the configured types, the host-device plugin, and rdma-devices; the recipe
 * deletes every plugin pai-deploy ships (a device type dropped from the layout leaves none behind) and the
 * host-devices ConfigMap OpenPAI forgot, in the reverse order.
 */
import { devicePluginDevices } from '../objects/cfg.js';
import {
  DEVICE_PLUGINS,
  devicePluginObjects,
  devicePluginRefs,
  devicePluginsFor,
  type DevicePlugin,
} from '../objects/device-plugins.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, defineRecipe, removeInReverse, waitFor } from './steps.js';

const HOST_DEVICE = 'device-plugin.yaml';

const applyPlugin = (plugin: DevicePlugin) =>
  apply(
    `${plugin.title} for ${plugin.deviceType} (pai-deploy's device-plugins/${plugin.asset})`,
    ...devicePluginObjects(plugin),
  );

export const devicePluginRecipe = defineRecipe({
  service: 'device-plugin',
  start: (context: ServiceContext) => {
    const { before, after } = devicePluginsFor(devicePluginDevices(context));
    const refs = [
      ...before.flatMap(devicePluginRefs),
      ...refsOf(context, HOST_DEVICE),
      ...after.flatMap(devicePluginRefs),
    ];
    return [
      ...before.flatMap(applyPlugin),
      ...applyFiles(HOST_DEVICE),
      ...after.flatMap(applyPlugin),
      ...waitFor(refs),
    ];
  },
  stop: () => [],
  delete: (context) => {
    const { before, after } = devicePluginsFor(DEVICE_PLUGINS.map((plugin) => plugin.deviceType));
    return removeInReverse([
      ...before.flatMap(devicePluginRefs),
      ...refsOf(context, HOST_DEVICE),
      ...after.flatMap(devicePluginRefs),
    ]);
  },
});
