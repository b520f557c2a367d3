import type { ServiceParts } from './services.js';

/** The product's template renderer, recipes, readiness and cluster object model (wired in as they land). */
export async function serviceParts(): Promise<ServiceParts> {
  throw new Error('internal: the service parts are not wired yet');
}
