const QUANTITY = /^([+-]?)((?:\d+(?:\.\d*)?)|(?:\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a Kubernetes resource quantity ("60Gi", "500M", "1.5e9"), or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim() === text ? text : '');
  if (!match) return undefined;
  const [, sign = '', digits = '', suffix] = match;
  let value = Number(digits);
  if (suffix !== undefined) {
    const multiplier = SUFFIX[suffix];
    value = multiplier !== undefined ? value * multiplier : value * 10 ** Number(suffix.slice(1));
  }
  return sign === '-' ? -value : value;
}

export const MiB = 2 ** 20;
