/**
 * Label selectors as workloads carry them (`spec.selector`): which pods belong to a Deployment, DaemonSet,
 * StatefulSet or Job. OpenPAI's scripts matched `app=<service>` in every namespace, which also counts a user's pod
 * that happens to carry the label and misses a service whose selector says more; the workload's own selector, in
 * its namespace, is what its controller counts.
 */

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * The selector as a `labelSelector` query (`app=x,tier in (a,b),!legacy`), or undefined when it selects nothing
 * (an operator this code does not know: better no pods than the wrong ones). An empty selector selects everything
 * and gives `''`.
 */
export function selectorQuery(selector: LabelSelector): string | undefined {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const requirement of selector.matchExpressions ?? []) {
    const values = [...(requirement.values ?? [])].sort().join(',');
    switch (requirement.operator) {
      case 'In':
        parts.push(`${requirement.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${requirement.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(requirement.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${requirement.key}`);
        break;
      default:
        return undefined;
    }
  }
  return parts.sort().join(',');
}

/** Whether labels satisfy the selector, by the same rules the server applies to the query above. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, requirement.key);
    const value = have[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!present || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
