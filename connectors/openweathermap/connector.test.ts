import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { openWeatherMapConnector } from './connector.ts';
import { type OpenWeatherMapFake, RATE_LIMIT_BODY, startOpenWeatherMapFake } from './fake-server.ts';

let fake: OpenWeatherMapFake;
let env: ReturnType<typeof createTestEnvironment>;

beforeAll(async () => {
  fake = await startOpenWeatherMapFake();
  env = createTestEnvironment({ openweathermap: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const credential = () => ({ apiKey: fake.apiKey });
const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(openWeatherMapConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(openWeatherMapConnector, key, input, { env, credential: credential(), ...options });

describe('openweathermap connector against the OpenWeatherMap fake', () => {
  it('reads the current weather by city with the key in the query', async () => {
    const weather = await run('currentWeather', { city: 'Berlin,DE' });
    expect(weather).toMatchObject({
      location: { name: 'Berlin', country: 'DE', lat: 52.5244 },
      current: { summary: 'Clouds', description: 'broken clouds', temperature: 4.2, humidity: 81, rainMm: 0 },
      units: 'metric',
    });
    expect(fake.requests.at(-1)?.query).toMatchObject({
      q: 'Berlin,DE',
      units: 'metric',
      appid: fake.apiKey,
    });
  });

  it('forecasts in 3-hour steps by zip or coordinates, in the chosen units', async () => {
    const byZip = (await run('forecast', { zip: '94040,US', hours: 12, units: 'imperial' })) as {
      entries: { temperature: number; rainChance: number; summary: string }[];
      location: { name: string };
    };
    expect(byZip.location.name).toBe('Mountain View');
    expect(byZip.entries).toHaveLength(4);
    expect(byZip.entries[0]?.temperature).toBe(61.7);
    expect(byZip.entries[1]).toMatchObject({ summary: 'Rain', rainChance: 0.8 });
    expect(fake.requests.at(-1)?.query).toMatchObject({ cnt: '4', units: 'imperial' });
    const byCoordinates = (await run('forecast', { lat: 51.5, lon: -0.12 })) as {
      location: { name: string };
    };
    expect(byCoordinates.location.name).toBe('London');
  });

  it('says which place to give: none, two at once, or lat without lon', async () => {
    for (const input of [{}, { city: 'Berlin', zip: '10115,DE' }, { lat: 52 }]) {
      expect(await runError('currentWeather', input)).toMatchObject({ code: 'E_PARAMS' });
    }
  });

  it('maps an unknown city to E_NOT_FOUND with the vendor message and a hint', async () => {
    const error = await runError('currentWeather', { city: 'Atlantis' });
    expect(error).toMatchObject({ code: 'E_NOT_FOUND', retryable: false, status: 404 });
    expect((error as Error).message).toContain('city not found');
    expect((error as { hint: string }).hint).toContain('country code');
  });

  it('a blocked account (429) is retryable', async () => {
    fake.fail('GET /weather', { status: 429, body: RATE_LIMIT_BODY });
    expect(await runError('currentWeather', { city: 'London' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
    });
  });

  it('a revoked key is E_AUTH, and the key never shows in the error', async () => {
    const stale = credential();
    fake.revoke();
    const error = await runError('forecast', { city: 'London' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type openweathermap');
    expect(
      JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details }),
    ).not.toContain(stale.apiKey);
  });

  it('documents every action for the agent', async () => {
    const doc = await readFile(openWeatherMapConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(openWeatherMapConnector.actions.map((action) => action.key));
  });
});
