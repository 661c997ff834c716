import { z } from 'zod';
import { Location, Place, placeIssues, placeQuery, RawReading, Reading, toReading } from '../client.ts';
import { rest } from '../kit.ts';

export const CurrentWeatherInput = z.strictObject(Place);

const RawCurrent = RawReading.extend({
  name: z.string(),
  coord: z.object({ lat: z.number(), lon: z.number() }),
  sys: z.object({
    country: z.string().optional(),
    sunrise: z.number().optional(),
    sunset: z.number().optional(),
  }),
});

const isoOrNull = (seconds: number | undefined) =>
  seconds === undefined ? null : new Date(seconds * 1000).toISOString();

export const currentWeather = rest.action({
  key: 'currentWeather',
  title: 'Current weather',
  description:
    'The weather now at a city, coordinates or zip code: conditions, temperature, wind, rain (OpenWeatherMap).',
  effect: 'read',
  idempotent: true,
  input: CurrentWeatherInput,
  output: z.object({
    location: Location.describe('Where the reading is from.'),
    current: Reading.describe('The current reading.'),
    sunrise: z.string().nullable().describe('Sunrise today (ISO, UTC).'),
    sunset: z.string().nullable().describe('Sunset today (ISO, UTC).'),
    units: z.string().describe('The units of the numbers.'),
  }),
  checkWith: (withValue) =>
    placeIssues(withValue).map((issue) => ({
      code: 'E_PARAMS',
      ...issue,
      hint: 'Set one of city, zip, or lat with lon.',
    })),
  http: {
    method: 'GET',
    path: '/weather',
    query: (input) => ({ ...placeQuery(input), units: input.units, lang: input.lang }),
  },
  project(response, input) {
    const raw = RawCurrent.parse(response.body);
    return {
      location: { name: raw.name, country: raw.sys.country ?? null, lat: raw.coord.lat, lon: raw.coord.lon },
      current: toReading(raw),
      sunrise: isoOrNull(raw.sys.sunrise),
      sunset: isoOrNull(raw.sys.sunset),
      units: input.units,
    };
  },
});
