/** `owner/repo` from a node's `with` as written (either part may be an expression), or null. */
export function repositoryOf(withValue: Record<string, unknown>): string | null {
  const { owner, repo } = withValue;
  return typeof owner === 'string' && typeof repo === 'string' ? `${owner}/${repo}` : null;
}
