// Seeded randomness for the crossgen generator: one stream per seed, so a seed is a dataset.

/** mulberry32: small, fast, good enough for traffic shapes (not for secrets). */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  const random = {
    next,
    normal,
    between: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    logNormal: (median, sd) => median * Math.exp(sd * normal()),
    /** Knuth for small means, a rounded normal for large ones. */
    poisson(mean) {
      if (mean <= 0) return 0;
      if (mean > 40)
        return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));
      const limit = Math.exp(-mean);
      let k = 0;
      for (let p = next(); p > limit; p *= next()) k += 1;
      return k;
    },
    /** Index into weights, proportionally. */
    weighted(weights) {
      const total = weights.reduce((a, w) => a + w, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i += 1) {
        r -= weights[i];
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    /** Zipf-like rank: a few favourites, a long tail. */
    zipf(n) {
      return Math.min(n - 1, Math.floor(n * Math.pow(next(), 2.2)));
    },
    hex(length) {
      let out = "";
      while (out.length < length)
        out += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, "0");
      return out.slice(0, length);
    },
    upper: (length) =>
      Array.from(
        { length },
        () => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[Math.floor(next() * 32)],
      ).join(""),
  };
  return random;
}

/** A stable hash of a string, for ids derived from (agent, epoch) without consuming randomness. */
export function hashHex(text, length = 12) {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return (h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0"))
    .repeat(3)
    .slice(0, length);
}
