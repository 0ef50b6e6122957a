/**
 * C's `%e`, `%f` and `%g` conversions with a precision, as glibc prints doubles: caget formats
 * floating-point values with `%g` by default, or `%-.<n>e|f|g` after `-e`, `-f`, `-g <n>`.
 * JavaScript's toFixed/toExponential round ties away from zero where C rounds them to even; an
 * exact binary tie (0.125 to two places) is the only case where the two differ.
 */

export interface FloatFormat {
  readonly conversion: "e" | "f" | "g";
  /** Digits after the point (`e`, `f`) or significant digits (`g`). */
  readonly precision: number;
}

/** `%g`, caget's default. */
export const DEFAULT_FLOAT_FORMAT: FloatFormat = { conversion: "g", precision: 6 };

export function formatFloat(x: number, format: FloatFormat = DEFAULT_FLOAT_FORMAT): string {
  if (Number.isNaN(x)) return "nan";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const magnitude = Math.abs(x);
  if (magnitude === Number.POSITIVE_INFINITY) return `${sign}inf`;
  return sign + unsigned(magnitude, format);
}

function unsigned(x: number, { conversion, precision }: FloatFormat): string {
  switch (conversion) {
    case "f":
      return fixed(x, precision);
    case "e":
      return exponential(x, precision);
    case "g": {
      // C99 7.19.6.1: P significant digits; %f if P > X >= -4 (X the exponent %e would print).
      const p = precision === 0 ? 1 : precision;
      const e = exponentOf(x, p - 1);
      if (p > e && e >= -4) return trimZeros(fixed(x, p - 1 - e));
      const [mantissa, exponent] = exponential(x, p - 1).split("e") as [string, string];
      return `${trimZeros(mantissa)}e${exponent}`;
    }
  }
}

/** toFixed switches to exponent notation from 1e21; C never does. */
function fixed(x: number, digits: number): string {
  if (x < 1e21) return x.toFixed(digits);
  return BigInt(x).toString() + (digits > 0 ? `.${"0".repeat(digits)}` : "");
}

/** `1.5e+0` -> `1.500000e+00`: C prints at least two exponent digits. */
function exponential(x: number, digits: number): string {
  const [mantissa, exponent] = x.toExponential(digits).split("e") as [string, string];
  const sign = exponent.startsWith("-") ? "-" : "+";
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/** The exponent after rounding to `digits` fraction digits (9.9999996 at 6 digits -> 1). */
function exponentOf(x: number, digits: number): number {
  return Number(x.toExponential(digits).split("e")[1]);
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
