/**
 * OpenPAI v1.8.0's cluster object model (`cluster_cfg`, the one variable of every service template), built from
 * layout.yaml, services-configuration.yaml and the services' defaults files, with paictl's checks as findings.
 */
export { buildClusterModel, OPENPAI_PARSERS } from './build.js';
export { dockerCredentials } from './docker-auth.js';
export { isAlertTemplateDirectory } from './parsers/monitoring.js';
export type * from './types.js';
