/** Random samples for the simulated signals. */

/** A standard normal sample (Box–Muller). */
export function gaussian(random: () => number = Math.random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
