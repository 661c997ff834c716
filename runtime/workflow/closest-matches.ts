/** Edit distance (Levenshtein), case-insensitive, giving up once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = 64): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  if (Math.abs(left.length - right.length) > limit) return limit + 1;
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i += 1) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= right.length; j += 1) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[right.length] ?? limit + 1;
}

/** Up to `count` candidates closest to `target` (typos, other casing, the same action in another connector). */
export function closestMatches(target: string, candidates: readonly string[], count = 3): string[] {
  const needle = target.slice(0, 200);
  const lowered = needle.toLowerCase();
  const suffix = lowered.includes('.') ? lowered.slice(lowered.indexOf('.') + 1) : lowered;
  const scored = candidates.map((candidate) => {
    const lowerCandidate = candidate.toLowerCase();
    let score = editDistance(needle, candidate, 32);
    if (suffix !== '' && lowerCandidate.endsWith(`.${suffix}`)) score = Math.min(score, 2);
    if (lowered !== '' && (lowerCandidate.includes(lowered) || lowered.includes(lowerCandidate)))
      score = Math.min(score, 3);
    return { candidate, score };
  });
  const threshold = Math.max(3, Math.ceil(needle.length / 2));
  return scored
    .filter((entry) => entry.score <= threshold)
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, count)
    .map((entry) => entry.candidate);
}
