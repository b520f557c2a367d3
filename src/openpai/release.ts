/**
 * The OpenPAI release pai-deploy targets: v1.8.0, the last one; its service catalog and start order
 * (service-catalog.ts) and its config formats come from this tag. The commit is abbreviated as OpenPAI's release
 * notes cite it.
 */
export const OPENPAI_RELEASE = { tag: 'v1.8.0', commit: 'd60cba45' } as const;
