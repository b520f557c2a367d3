/**
 * docker-cache (OpenPAI v1.8.0 src/docker-cache/deploy/), only with `docker-cache.enabled` (enable_docker_cache):
 * start.sh applied docker-cache-config.yaml (ConfigMap registry-config), docker-cache-secret.yaml (Secret
 * registry-htpasswd), docker-cache.yaml (Deployment docker-registry-cache on the master: a pull-through cache of
 * Docker Hub) and docker-cache-service.yaml (NodePort 30500), then waited for app=docker-registry-cache. stop.sh was
 * not gated: it deleted the four objects whatever the configuration said; delete.sh only called stop.sh.
 *
 * The cache only helps when docker on the machines uses it as a mirror (OpenPAI's kubespray step wrote
 * registry-mirrors into daemon.json); that is the machines' configuration, not this service's.
 */
import { dockerCacheEnabled } from '../objects/cfg.js';
import { filesRecipe } from './files-recipe.js';

export const dockerCacheRecipe = filesRecipe(
  'docker-cache',
  ['docker-cache-config.yaml', 'docker-cache-secret.yaml', 'docker-cache.yaml', 'docker-cache-service.yaml'],
  {
    skipReason: (context) =>
      dockerCacheEnabled(context) ? undefined : 'docker-cache.enabled is not true (enable_docker_cache)',
  },
);
