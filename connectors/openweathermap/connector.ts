import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { currentWeather } from './actions/current-weather.ts';
import { forecast } from './actions/forecast.ts';
import { OpenWeatherMapCredential, openWeatherMapApi } from './client.ts';

export const openWeatherMapConnector = defineConnector<OpenWeatherMapCredential, RestClient>({
  id: 'openweathermap',
  version: '1.0.0',
  title: 'OpenWeatherMap',
  description:
    'Current weather and 5-day forecasts for any city, coordinates or zip code (OpenWeatherMap, key in the query).',
  credential: {
    type: 'openweathermap',
    schema: OpenWeatherMapCredential,
    howToGet:
      'Sign up at openweathermap.org, copy a key from home.openweathermap.org/api_keys (new keys work after up to 2 hours), then `vmesh credentials set weather --type openweathermap` (the bare key on stdin is recognised).',
    fromToken: (token) => ({ apiKey: token }),
    // The key travels in the URL as appid=…: every spelling of it there is a secret.
    wireSecrets: (credential: OpenWeatherMapCredential) => [
      credential.apiKey,
      encodeURIComponent(credential.apiKey),
      `appid=${encodeURIComponent(credential.apiKey)}`,
    ],
  },
  // The free plan allows 60 calls per minute.
  rateLimit: { requests: 60, perSeconds: 60, burst: 10 },
  createClient: ({ credential, env }) => createRestClient(openWeatherMapApi, { credential, env }),
  async testCredential({ client, signal }) {
    await client.send({ method: 'GET', path: '/weather', query: { lat: 0, lon: 0 } }, signal);
    return 'OpenWeatherMap accepts the key.';
  },
  actions: [currentWeather, forecast],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
