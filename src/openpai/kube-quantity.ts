/**
 * Exact arithmetic on Kubernetes resource quantities ("7800m", "31Gi", "32928784Ki", "1.5", "100M", "2e3").
 *
 * Sizing HiveD cells floors quotients of sums and differences of such quantities ("4 CPUs free for 4 GPUs" must give
 * 1 CPU per GPU, not 0.9999999). Binary floating point cannot promise that, so every quantity is kept as an exact
 * fraction of two bigints; only the numbers shown to the user are converted to `number`.
 */
export class Exact {
  /** Always reduced, with a positive denominator. */
  readonly numerator: bigint;
  readonly denominator: bigint;

  private constructor(numerator: bigint, denominator: bigint) {
    this.numerator = numerator;
    this.denominator = denominator;
  }

  static readonly ZERO = new Exact(0n, 1n);

  static of(numerator: bigint | number, denominator: bigint | number = 1n): Exact {
    let num = BigInt(numerator);
    let den = BigInt(denominator);
    if (den === 0n) throw new RangeError('division by zero');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const divisor = gcd(num < 0n ? -num : num, den);
    return new Exact(num / divisor, den / divisor);
  }

  plus(other: Exact): Exact {
    return Exact.of(
      this.numerator * other.denominator + other.numerator * this.denominator,
      this.denominator * other.denominator,
    );
  }

  minus(other: Exact): Exact {
    return this.plus(other.negated());
  }

  negated(): Exact {
    return new Exact(-this.numerator, this.denominator);
  }

  times(other: Exact): Exact {
    return Exact.of(this.numerator * other.numerator, this.denominator * other.denominator);
  }

  dividedBy(other: Exact): Exact {
    return Exact.of(this.numerator * other.denominator, this.denominator * other.numerator);
  }

  compare(other: Exact): -1 | 0 | 1 {
    const left = this.numerator * other.denominator;
    const right = other.numerator * this.denominator;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  lessThan(other: Exact): boolean {
    return this.compare(other) < 0;
  }

  isPositive(): boolean {
    return this.numerator > 0n;
  }

  isZero(): boolean {
    return this.numerator === 0n;
  }

  static min(a: Exact, b: Exact): Exact {
    return b.lessThan(a) ? b : a;
  }

  static max(a: Exact, b: Exact): Exact {
    return a.lessThan(b) ? b : a;
  }

  /** The largest integer ≤ this value (towards −∞, as Python's math.floor; int() truncates, which differs < 0). */
  floor(): bigint {
    const quotient = this.numerator / this.denominator;
    return this.numerator < 0n && quotient * this.denominator !== this.numerator ? quotient - 1n : quotient;
  }

  /** The nearest double (exactly rounded while numerator and denominator fit in 53 bits: 7472/1000 is 7.472). */
  toNumber(): number {
    if (this.denominator <= SAFE && this.numerator <= SAFE && -this.numerator <= SAFE) {
      return Number(this.numerator) / Number(this.denominator);
    }
    const whole = this.numerator / this.denominator;
    const rest = this.numerator - whole * this.denominator;
    return Number(whole) + Number(rest) / Number(this.denominator);
  }

  /** For messages: at most `digits` decimals, trailing zeros dropped ("7.8", "0.078", "1024"). */
  format(digits = 3): string {
    return String(Number(this.toNumber().toFixed(digits)));
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

// Kubernetes' quantity grammar: <signedNumber><suffix>, suffix a binary SI unit (Ki … Ei), a decimal SI unit
// (n u m "" k M G T P E) or a decimal exponent (e3, E-2). "1E" is one exa, not an exponent without digits.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Exponents beyond this are refused: no resource needs them, and 1e99999 would build a huge bigint. */
const MAX_EXPONENT = 40;

/** The exact value of a Kubernetes quantity, or undefined when `text` is not one. */
export function parseKubeQuantity(text: string): Exact | undefined {
  if (text.length > 64) return undefined;
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign = '', number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let value = Exact.of(BigInt((whole || '0') + fraction), 10n ** BigInt(fraction.length));
  const binary = BINARY[suffix];
  const decimal = DECIMAL[suffix];
  if (binary !== undefined) {
    value = value.times(Exact.of(2n ** BigInt(binary)));
  } else {
    const exponent = decimal ?? (suffix === '' ? 0 : Number(suffix.slice(1)));
    if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
    value = value.times(exponent >= 0 ? Exact.of(10n ** BigInt(exponent)) : Exact.of(1n, 10n ** BigInt(-exponent)));
  }
  return sign === '-' ? value.negated() : value;
}

export const BYTES_PER_MIB = Exact.of(2n ** 20n);
