/**
 * The device plugins pai-deploy ships (device-plugins/, see its README) and which of them a cluster gets.
 *
 * OpenPAI v1.8.0's device-plugin start.sh applied, per type in `device-plugin.devices`: NVIDIA's plugin
 * 1.0.0-beta4 (`nvidia.com/gpu`), AMD's (`amd.com/gpu`), Enflame's (`enflame.com/dtu`), then its own host-device
 * plugin (always, from the tree), then Mellanox's RDMA plugin (`rdma/hca`). Other types got no plugin, and get none
 * here. The vendors' manifests came from GitHub by `svn cat`, which GitHub no longer serves.
 */
import { readAsset } from '../../../assets.js';
import type { KubeObject, KubeObjectRef } from '../../../ports/kube-api.js';
import { parseObjects, refIn } from './manifests.js';

export interface DevicePlugin {
  /** The computing-device type (`layout.machine-sku.*.computing-device.type`) it serves. */
  deviceType: string;
  title: string;
  /** Its manifest under device-plugins/. */
  asset: string;
}

/** In the order OpenPAI's start.sh applied them; the tree's host-device plugin goes between Enflame's and RDMA's. */
export const DEVICE_PLUGINS: readonly DevicePlugin[] = [
  { deviceType: 'nvidia.com/gpu', title: 'NVIDIA device plugin 1.0.0-beta4', asset: 'nvidia-device-plugin.yaml' },
  { deviceType: 'amd.com/gpu', title: 'AMD ROCm device plugin', asset: 'amd-device-plugin.yaml' },
  { deviceType: 'enflame.com/dtu', title: 'Enflame device plugin', asset: 'enflame-device-plugin.yaml' },
  { deviceType: 'rdma/hca', title: 'Mellanox RDMA device plugin (HCA mode)', asset: 'rdma-hca-device-plugin.yaml' },
];

/** The plugin that OpenPAI applied after its own host-device plugin rather than before. */
const AFTER_HOST_DEVICE = new Set(['rdma/hca']);

/** The plugins for these device types, in OpenPAI's order, split around the tree's host-device plugin. */
export function devicePluginsFor(devices: readonly string[]): { before: DevicePlugin[]; after: DevicePlugin[] } {
  const chosen = DEVICE_PLUGINS.filter((plugin) => devices.includes(plugin.deviceType));
  return {
    before: chosen.filter((plugin) => !AFTER_HOST_DEVICE.has(plugin.deviceType)),
    after: chosen.filter((plugin) => AFTER_HOST_DEVICE.has(plugin.deviceType)),
  };
}

/** Device types nobody ships a plugin for (OpenPAI ignored them silently). */
export function unsupportedDeviceTypes(devices: readonly string[]): string[] {
  return devices.filter((device) => !DEVICE_PLUGINS.some((plugin) => plugin.deviceType === device));
}

/** The objects of a plugin's manifest (read once per process). */
export function devicePluginObjects(plugin: DevicePlugin): KubeObject[] {
  return parseObjects(
    'device-plugin',
    `(pai-deploy) device-plugins/${plugin.asset}`,
    readAsset(`device-plugins/${plugin.asset}`),
  );
}

export function devicePluginRefs(plugin: DevicePlugin): KubeObjectRef[] {
  return devicePluginObjects(plugin).map(refIn);
}
