import { restKit } from '../sdk/rest/index.ts';
import type { TelegramCredential } from './client.ts';

/** Builders for the Telegram connector's declarative actions, bound to its credential. */
export const rest = restKit<TelegramCredential>();
