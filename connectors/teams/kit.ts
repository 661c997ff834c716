import type { GraphCredential } from '../microsoft/graph.ts';
import { restKit } from '../sdk/rest/index.ts';

/** Builders for the Teams connector's declarative Graph actions. */
export const rest = restKit<GraphCredential>();
