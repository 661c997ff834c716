import Fastify from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type OpenWeatherMapFake = {
  /** Give as env.baseUrls.openweathermap (the /data/2.5 root). */
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** The key stops working (deleted or blocked in the account). */
  revoke(): void;
  /** Route keys: `GET /weather`, `GET /forecast`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

type City = {
  id: number;
  name: string;
  country: string;
  lat: number;
  lon: number;
  zip: string;
  tempC: number;
};
const CITIES: City[] = [
  { id: 2950159, name: 'Berlin', country: 'DE', lat: 52.5244, lon: 13.4105, zip: '10115', tempC: 4.2 },
  { id: 2643743, name: 'London', country: 'GB', lat: 51.5085, lon: -0.1257, zip: 'EC1A', tempC: 8.9 },
  {
    id: 5375480,
    name: 'Mountain View',
    country: 'US',
    lat: 37.3861,
    lon: -122.0839,
    zip: '94040',
    tempC: 16.5,
  },
];

export const RATE_LIMIT_BODY = {
  cod: 429,
  message:
    'Your account is temporary blocked due to exceeding of requests limitation of your subscription type. Please choose the proper subscription https://openweathermap.org/price',
};

function temperature(celsius: number, units: string): number {
  if (units === 'imperial') return Math.round(((celsius * 9) / 5) * 100 + 3200) / 100;
  if (units === 'metric') return celsius;
  return Math.round((celsius + 273.15) * 100) / 100;
}

function reading(city: City, units: string, dt: number, offset: number) {
  const temp = temperature(city.tempC + offset, units);
  const raining = offset % 2 === 1;
  return {
    dt,
    weather: [
      raining
        ? { id: 500, main: 'Rain', description: 'light rain', icon: '10d' }
        : { id: 803, main: 'Clouds', description: 'broken clouds', icon: '04d' },
    ],
    main: {
      temp,
      feels_like: temp - 1,
      temp_min: temp - 2,
      temp_max: temp + 1,
      pressure: 1012,
      humidity: 81,
    },
    visibility: 10000,
    wind: { speed: units === 'imperial' ? 9.17 : 4.1, deg: 250 },
    clouds: { all: 75 },
    ...(raining ? { rain: { '3h': 0.6 } } : {}),
  };
}

/**
 * A local OpenWeatherMap (https://openweathermap.org/current, /forecast5): `appid` in the query, places by `q`
 * ("Berlin", "Berlin,DE"), `zip` ("10115,DE"), or `lat`+`lon`; `units` and `cnt`; its `{ cod, message }` errors
 * (401 bad key, 404 city not found, 400 nothing to geocode, 429 account blocked).
 */
export async function startOpenWeatherMapFake(): Promise<OpenWeatherMapFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  let apiKey = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take(
      `${request.method} ${(request.url.split('?')[0] ?? '').replace(/^\/data\/2\.5/, '')}`,
    );
    if (failure) return sendFailure(reply, failure);
    const query = request.query as Record<string, string | undefined>;
    if (query.appid !== apiKey) {
      return reply.code(401).send({
        cod: 401,
        message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.',
      });
    }
  });

  const findCity = (query: Record<string, string | undefined>): City | 'none' | undefined => {
    if (query.q) {
      const [name, country] = query.q.split(',').map((part) => part.trim().toLowerCase());
      return CITIES.find(
        (city) =>
          city.name.toLowerCase() === name && (!country || city.country.toLowerCase() === country.slice(-2)),
      );
    }
    if (query.zip) {
      const [zip, country] = query.zip.split(',').map((part) => part.trim().toUpperCase());
      return CITIES.find((city) => city.zip === zip && (!country || city.country === country));
    }
    if (query.lat !== undefined && query.lon !== undefined) {
      const lat = Number(query.lat);
      const lon = Number(query.lon);
      return [...CITIES].sort(
        (a, b) => Math.hypot(a.lat - lat, a.lon - lon) - Math.hypot(b.lat - lat, b.lon - lon),
      )[0];
    }
    return 'none';
  };

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/data/2.5/weather',
    async (request, reply) => {
      const city = findCity(request.query);
      if (city === 'none') return reply.code(400).send({ cod: '400', message: 'Nothing to geocode' });
      if (!city) return reply.code(404).send({ cod: '404', message: 'city not found' });
      const units = request.query.units ?? 'standard';
      return {
        coord: { lon: city.lon, lat: city.lat },
        ...reading(city, units, 1_764_806_400, 0),
        base: 'stations',
        sys: { country: city.country, sunrise: 1_764_831_000, sunset: 1_764_860_000 },
        timezone: 3600,
        id: city.id,
        name: city.name,
        cod: 200,
      };
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/data/2.5/forecast',
    async (request, reply) => {
      const city = findCity(request.query);
      if (city === 'none') return reply.code(400).send({ cod: '400', message: 'Nothing to geocode' });
      if (!city) return reply.code(404).send({ cod: '404', message: 'city not found' });
      const units = request.query.units ?? 'standard';
      const count = Math.min(40, Number(request.query.cnt ?? 40));
      const list = Array.from({ length: count }, (_, index) => ({
        ...reading(city, units, 1_764_806_400 + index * 10_800, index),
        pop: index % 2 === 1 ? 0.8 : 0.1,
        dt_txt: new Date((1_764_806_400 + index * 10_800) * 1000)
          .toISOString()
          .replace('T', ' ')
          .slice(0, 19),
      }));
      return {
        cod: '200',
        message: 0,
        cnt: count,
        list,
        city: {
          id: city.id,
          name: city.name,
          coord: { lat: city.lat, lon: city.lon },
          country: city.country,
          timezone: 3600,
        },
      };
    },
  );

  const url = `${await listenLocal(app)}/data/2.5`;
  return {
    url,
    get apiKey() {
      return apiKey;
    },
    requests,
    revoke() {
      apiKey = 'ffffffffffffffffffffffffffffffff';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
