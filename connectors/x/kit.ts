import type { BoundAuth } from '../sdk/auth/auth-style.ts';
import { restKit } from '../sdk/rest/index.ts';

/** Builders for the X connector's declarative actions; the client gets the credential bound to its style. */
export const rest = restKit<BoundAuth>();
