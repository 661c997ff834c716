import { z } from 'zod';

/** What a documented id is: a connector action, a trigger (connector or core), a core node, or a connector overall. */
export const DocKind = z.enum(['action', 'trigger', 'core', 'connector']);
export type DocKind = z.infer<typeof DocKind>;

/**
 * One unit of documentation, indexed as a whole: re-indexed when its content hash changes.
 * `docId` is the id the documentation is about (`slack.postMessage`, `core.if`, `schedule`, `slack`);
 * search results are grouped by it.
 */
export const DocSource = z.object({
  /** Stable and unique across all sources, e.g. `connector:slack:doc#postMessage`, `openapi:petstore:getPetById`. */
  sourceId: z.string().min(1),
  docId: z.string().min(1),
  kind: DocKind,
  title: z.string().min(1),
  /** Markdown or plain text. */
  text: z.string(),
});
export type DocSource = z.infer<typeof DocSource>;
