/**
 * The parsers of hivedscheduler and device-plugin (OpenPAI v1.8.0): the scheduler's configuration and the
 * device plugins to deploy, both following the computing devices of the layout.
 */
import { quote } from '../../../findings/finding.js';
import { parseYamlSource } from '../../../config/yaml-source.js';
import {
  defaultsMap,
  httpUrl,
  masterIp,
  need,
  origin,
  sameValue,
  workerDeviceTypes,
  type ParserFactory,
} from '../parser.js';
import type { ModelValue } from '../types.js';
import { clone, has, put, shallowMerge } from '../values.js';

// --- hivedscheduler --------------------------------------------------------------------------------------------

/** Text with YAML content (not only blanks and comments); PyYAML loads anything else as None. */
const HAS_CONTENT = /^\s*[^\s#]/m;

export const hivedscheduler: ParserFactory = (input) => {
  const conf = shallowMerge(defaultsMap(input), input.section);
  return {
    pre() {
      if (!has(conf, 'webservice-port')) {
        input.report.error(
          'model-missing-key',
          origin(input, []),
          "hivedscheduler.webservice-port is not set, and OpenPAI's hivedscheduler parser requires it",
          "Set hivedscheduler.webservice-port (hived's REST port on the master, 30096 in OpenPAI's defaults).",
        );
      }
      if (!has(conf, 'config')) put(conf, 'config', '');
    },
    run() {
      const config = conf['config']!;
      const where = origin(input, ['config']);
      if (typeof config !== 'string') {
        throw input.report.stop(
          'model-hived-config',
          where,
          `hivedscheduler.config must be the hived configuration as text (a block scalar, config: |), not ${quote(config)}`,
          'Write the configuration under config: | as YAML text; pai-deploy config push computes it from the live nodes.',
        );
      }
      // structured-config is the configuration parsed (templates read its virtualClusters); an empty one is {}.
      let structured: ModelValue = {};
      if (config !== '') {
        if (!HAS_CONTENT.test(config)) structured = null;
        else {
          const file = input.report.file('services');
          const parsed = parseYamlSource(
            `${file?.path ?? 'services-configuration.yaml'}#hivedscheduler.config`,
            Buffer.from(config),
          );
          // Only what stops PyYAML stops the parser; a duplicate key is no such thing (the last value wins).
          const problem = parsed.syntaxFindings[0];
          if (parsed.value === undefined) {
            throw input.report.stop(
              'model-hived-config',
              where,
              `hivedscheduler.config is not YAML PyYAML loads (at its line ${problem?.line ?? 1}, column ${problem?.column ?? 1}: ${problem?.message ?? 'unreadable'})`,
              'Fix the hived configuration text; `pai-deploy config push --dry-run` shows the one pai-deploy computes.',
            );
          }
          structured = parsed.value as ModelValue;
        }
      }
      put(conf, 'structured-config', structured);
      put(
        conf,
        'webservice',
        httpUrl(input, origin(input, ['webservice-port']), masterIp(input), conf['webservice-port']!),
      );
      // The template inserts the text four spaces deep into a ConfigMap: each line after the first is indented.
      put(conf, 'config', config.replace(/\n/g, '\n    '));
      return conf;
    },
    post() {},
  };
};

// --- device-plugin ---------------------------------------------------------------------------------------------

export const devicePlugin: ParserFactory = (input) => {
  // No merge: the section's devices (or the defaults' when it has none), and nothing else of the defaults.
  const conf = input.section;
  return {
    pre() {
      if (!has(conf, 'devices')) put(conf, 'devices', clone(need(input, defaultsMap(input), 'devices')));
    },
    run() {
      const devices = conf['devices'];
      if (!Array.isArray(devices)) {
        throw input.report.stop(
          'model-not-list',
          origin(input, ['devices']),
          `device-plugin.devices must be a list of device resource names, not ${quote(devices)}`,
          'List the device plugins to deploy, e.g. ["nvidia.com/gpu"]; the workers\' device types are added to it.',
        );
      }
      // Every computing-device type of a worker gets its device plugin. OpenPAI added them in the iteration order
      // of a Python set (hash order); here in the order the workers name them. Templates only test membership.
      for (const type of workerDeviceTypes(input)) if (!devices.some((d) => sameValue(d, type))) devices.push(type);
      return conf;
    },
    post() {},
  };
};
