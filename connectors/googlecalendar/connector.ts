import { fileURLToPath } from 'node:url';
import { createGoogleClient, type GoogleClient } from '../google/client.ts';
import { googleCredentialDefinition } from '../google/credential.ts';
import { defineConnector } from '../sdk/define.ts';
import { createEvent } from './actions/create-event.ts';
import { deleteEvent } from './actions/delete-event.ts';
import { freeBusy } from './actions/free-busy.ts';
import { listEvents } from './actions/list-events.ts';
import { updateEvent } from './actions/update-event.ts';
import { calendarApi } from './client.ts';
import { eventCreated } from './triggers/event-created.ts';

export const googleCalendarConnector = defineConnector<unknown, GoogleClient>({
  id: 'googlecalendar',
  version: '1.0.0',
  title: 'Google Calendar',
  description:
    'Create, update, delete and list Google Calendar events, check free/busy times, and start workflows on new events (Calendar API v3).',
  credential: googleCredentialDefinition(calendarApi),
  // The google OAuth preset is declared by googlesheets (ids are unique across connectors).
  // Calendar's default quota is 600 queries per minute per user; writes in bursts draw 403 rateLimitExceeded.
  rateLimit: { requests: 600, perSeconds: 60, burst: 10 },
  createClient: ({ credential, env }) => createGoogleClient(calendarApi, { credential, env }),
  testCredential: ({ client, signal }) => client.testCredential(signal),
  actions: [createEvent, updateEvent, deleteEvent, listEvents, freeBusy],
  triggers: [eventCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
