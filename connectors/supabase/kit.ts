import { restKit } from '../sdk/rest/index.ts';
import type { SupabaseCredential } from './client.ts';

/** Builders for the Supabase connector's declarative actions, bound to its credential. */
export const rest = restKit<SupabaseCredential>();
