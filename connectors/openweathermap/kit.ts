import { restKit } from '../sdk/rest/index.ts';
import type { OpenWeatherMapCredential } from './client.ts';

/** Builders for the OpenWeatherMap connector's declarative actions, bound to its credential. */
export const rest = restKit<OpenWeatherMapCredential>();
