/**
 * The registry credentials of `cluster.docker-registry` as OpenPAI's templates read them: `base64code` fills the
 * image pull secret (a kubernetes.io/dockerconfigjson Secret) and `credential` is the same docker config.json as
 * text.
 *
 * OpenPAI's cluster parser got them by running `docker login -u USER -p PASSWORD DOMAIN` through a shell on the
 * deploying machine and reading back `~/.docker/config.json` (`| base64`, line breaks removed). That file is the
 * admin's: it may hold other registries, or a credsStore and no auth at all. pai-deploy reads nothing of the
 * machine it runs on, so it writes the file a docker CLI writes after that one login into an empty home: docker's
 * JSON indented with tabs, no trailing newline, `auths` keyed by the registry as docker stores it. Without
 * credentials OpenPAI used `{}` (base64 `e30=`), and so does this.
 */
import { pyStr, pyTruthy } from './python.js';
import type { ModelValue } from './types.js';

/** docker CLI's name for Docker Hub: `docker login` with no server or with `docker.io` stores this key. */
const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface DockerCredentials {
  base64code: string;
  credential: string;
  /** The registry the login was for, as docker keys it; undefined without credentials. */
  registry?: string;
}

/**
 * `domain`, `username`, `password` of docker-registry as loaded. OpenPAI logged in only when both username and
 * password were truthy (an empty password means no login), with "public" meaning Docker Hub.
 */
export function dockerCredentials(domain: ModelValue, username: ModelValue, password: ModelValue): DockerCredentials {
  if (!pyTruthy(username) || !pyTruthy(password)) return { base64code: 'e30=', credential: '{}' };
  // `docker login -u U -p P {domain}`: an empty domain logs in to Docker Hub, a null one to a server named "None".
  const server = pyStr(domain);
  const registry = server === '' || server === 'public' || server === 'docker.io' ? DOCKER_HUB_AUTH_KEY : server;
  const auth = Buffer.from(`${pyStr(username)}:${pyStr(password)}`, 'utf8').toString('base64');
  // Go's json.MarshalIndent(config, "", "\t") of a config file with one auth entry.
  const credential = `{\n\t"auths": {\n\t\t${goJsonString(registry)}: {\n\t\t\t"auth": "${auth}"\n\t\t}\n\t}\n}`;
  return { base64code: Buffer.from(credential, 'utf8').toString('base64'), credential, registry };
}

/** Go's encoding/json string: like JSON.stringify, plus <, >, & and U+2028/2029 escaped (HTML-safe by default). */
function goJsonString(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Characters a POSIX shell treats specially: OpenPAI put the values into `docker login -u {0} -p {1} {2}` unquoted,
 * so a password with one of these logged in with something else, or not at all.
 */
export function shellUnsafe(value: ModelValue): boolean {
  return !/^[A-Za-z0-9_@%+=:,./-]*$/.test(pyStr(value));
}
