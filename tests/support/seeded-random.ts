/** A seeded random in [0, 1) (mulberry32): the same sequence every run, so a failure can be reproduced. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` of `pieces`, each drawn with `next`, joined: generated input for tests that compare two readings. */
export function randomPieces(next: () => number, pieces: readonly string[], count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += pieces[Math.floor(next() * pieces.length)];
  return out;
}
